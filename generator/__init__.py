"""daihuo: product sheets in, captioned short videos and digital-host loops out."""

__version__ = "0.1.0"
