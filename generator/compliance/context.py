"""Sentence context that turns a matched term into something other than a claim.

A rule family lists the contexts that clear its hits (`context:` in the lexicon YAML):

  negation   the claim is denied right before the term: 「本品不能代替药物治疗疾病」「不具有治疗作用」「不含激素」;
             「不仅能治疗」「不吃药也能降血压」 are not denials (the negator must sit directly before the term,
             with at most an auxiliary such as 能/可以/具有/含 in between). Safety advice counts too:
             「为了预防过敏，请先在耳后试用」. A disclaimer anywhere before the term in its clause counts too
             (「主播不敢保证你吃了就瘦」「不能保证摔了手机一定不坏」), and also clears under quotation.
  quotation  the term is quoted or reported in order to distance from it: 「别信那些号称"根治"的广告」; it is
             talked about as a word (「“药妆”这个说法已经不允许用了」「我们不卖“吃了就瘦”的东西」「收录“立竿见影”」)
             or named as a word without quotes (「其实没有药妆这个说法」), or listed as one (「成语故事绘本：立竿见影、对症下药」),
             or reported and rebutted (「有粉丝说…治好了胃病，这个说法不对」); it is part
             of a title in 《》 (「《肝脏保养与护肝饮食》」); or the sentence cites a rule that forbids it
             (「《广告法》第九条不允许使用国旗、国徽」「普通化妆品不能宣传美白祛斑，这是法规要求」).
  caution    the sentence warns rather than sells: 「糖尿病患者慎食」「哮喘人群请勿使用」「感冒期间暂停使用」
             「能不能吃请先问医生」.
  work       the sentence is about a book, film or course whose subject is the illness and promises no cure:
             「《抗癌日记》，作者记录了陪母亲治疗的三年」「阿尔茨海默病家属照护课程，共12讲」 (not 「照着这本书天天练，
             糖尿病不用再吃药」).
  question   a wh-question or an A-not-A question asks about it (「哪款面霜最好用？」「怎么预防感冒？」
             「失眠能不能喝？」), or any question answered "no" at once (「药妆？不，这是普通面霜」「最大的？这个我不敢说」).
             吗-questions, why-questions and rhetorical hooks (「谁还在为高血压发愁？」「谁能比我们更便宜？」) are not
             cleared: 「想根治痘痘吗？」 and
             「为什么它能根治脚气？」 still assert the claim.

Everything works on the original text with the hit's (start, end) offsets, one clause or sentence around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CLAUSE_BREAKS = "，。！？；、,.!?;\n…~～：:"
SENTENCE_BREAKS = "。！？!?；;\n"
QUOTES = {"「": "」", "“": "”", '"': '"', "『": "』", "‘": "’", "'": "'", "《": "》"}

# A negator directly before the term, optionally followed by an auxiliary or "instead of medicine".
_NEGATED_TAIL = re.compile(
    r"(?:不|不敢|没有?|无法|无须|无需|不用|不需要?|不能|不可|不会|并非|并不|绝不|决不|从不|未|非|别|勿|谈不上|称不上|不属于|不等于|不宜)"
    r"(?:任何|什么|一点|丝毫)?(?:的)?(?:能够?|可以?|会|用来|用于|具有|具备|具|是|属于|有|宣称|声称|承诺|宣传|讲|说|提|谈|吹|叫|算|称为?|做|搞|等同于?|代替|替代|取代)?"
    r"(?:任何|什么|丝毫)?"  # 「不具有任何治疗功能」: the quantifier after the verb (v12)
    r"(?:代替|替代|取代)?(?:药物|药品|医疗|医学|医院)?(?:治疗|治愈|医治|根治|预防|缓解)?(?:的)?\s*$"
)
# "does not contain / free of" before an ingredient or a condition word.
_FREE_OF_TAIL = re.compile(
    r"(?:不含有?|不添加|未添加|不加|无添加|零添加|拒绝|无|零|不使用|未使用)"
    r"(?:[\u4e00-\u9fffA-Za-z0-9]{1,8}(?:和|、|及|与|或|/|跟))?\s*$")  # also 「不含酒精和激素」
# Safety advice rather than a claim: 「为了预防过敏，请先试用」「建议…」
_ADVICE_HEAD = re.compile(r"(?:请|建议|以防|为了|使用前|用前|请先|可先)\S{0,4}$")
# Distancing: the writer reports someone else's claim in order to reject it.
_DISTANCING = re.compile(
    r"号称|所谓|自称|说自己是|别信|不要信|不信|(?:不要|别|不能|切勿)(?:相信|迷信|轻信|被)|谎称|吹嘘|鼓吹|标榜|骗人|忽悠|夸大|虚假|谣言|宣传的那样|不靠谱|噱头|智商税|割韭菜|套路|避雷")
# Someone else's claim reported, then rebutted later in the sentence: 「有粉丝说吃了治好了胃病，这个说法不对」.
_REPORTED = re.compile(
    r"(?:有人|有粉丝|粉丝|网上|网友|别人|外面|有的人|有顾客|有买家|买家|谁(?:跟|和|给)(?:你|您))(?:说|讲|传|称|问|留言|评论)")
_REBUTTAL = re.compile(
    r"说法不对|不对的|(?:是|纯属|都是)?(?:瞎说|胡说|乱说|瞎扯)|不是真的|没有的事|没这回事|不属实|不实|谣言|误会|忽悠|骗人|骗你|智商税"
    r"|其实(?:不能|不行|不会|没用|没有|不是)")  # 「有人说喝这个茶能减肥，其实不能」 (v12)
# A reported claim asked as a question and knocked down in the next sentence (v12: 「网上说喝柠檬水能治癌？别信！谣言粉碎」).
_DEBUNKED_NEXT = re.compile(
    r"\s*(?:别信|不要信|不能信|千万别信|谣言|假的|不是真的|没有的事|没这回事|不可能|当然不|不能|不会|骗人的?|纯属|辟谣)")
# A quoted word talked about as a word: 「“药妆”这个说法已经不允许用了」「《成语词典》收录“立竿见影”」.
_ABOUT_THE_WORD = re.compile(r"说法|字眼|用语|词语|词条|成语|收录|释义|(?:两|三|四|几)个字|这个词|这种词|这类词|这些词")
# The word named as a word, without quotes: 「其实没有药妆这个说法」.
_WORD_ITSELF = r"(?:这个|这种|这类|这两个字|的)?(?:说法|字眼|用语|词语?|概念|[二两三四]个?字)"
_WORD_ITSELF_AFTER = re.compile(_WORD_ITSELF)


def _names_the_word(sentence: str, term: str) -> bool:
    """The term stands in the sentence as a word named (药妆这个说法, 药妆二字); found without building a pattern per
    term, which cost a regex compile per hit once the terms outgrew re's cache."""
    k = sentence.find(term)
    while k >= 0:
        if _WORD_ITSELF_AFTER.match(sentence, k + len(term)):
            return True
        k = sentence.find(term, k + 1)
    return False
# A list of words (idioms, vocabulary) that the hit is one entry of: 「成语故事绘本：立竿见影、对症下药」.
_WORD_LIST_HEAD = re.compile(r"成语|词语|词汇|字帖|词典|字典|谚语|歇后语")
# A denial right before the opening quote: 「我们不卖“吃了就瘦”的东西」「包装上没有“药妆”两个字」「不敢说“三天见效”」.
_DENIED_BEFORE_QUOTE = re.compile(r"(?:不|没有?|别|拒绝|从不|绝不|不再|不敢)[\u4e00-\u9fff]{0,2}$")
# A warning or a usage restriction anywhere in the sentence.
_CAUTION = re.compile(
    r"慎用|慎食|慎服|慎饮|禁用|禁食|禁止使用|禁止食用|不可使用|不得使用|忌用|忌食|勿用|勿食|请勿|不宜|不适宜|不建议|"
    r"遵医嘱|咨询\S{0,3}医(?:生|师)|请去\S{0,4}(?:科|医院)|纯科普|不卖货|纯知识分享|纯公益|医生指导|医师指导|(?:请|先|要|最好|建议)问(?:问|一下)?(?:你的|您的|主治)?医生|问(?:你的|您的)医生|(去|上|到)(医院|药店|药房)|看医生|就诊|停用|停止使用|暂停使用|请暂停|请停止|避免使用|就医|不能代替|不可代替|"
    r"不适用|不适合|除外|期间(暂停|停止|避免|不要)|"
    # a hospital's own notice or a doctor's advice to patients, not an ad for goods (v12: 「本院皮肤科周三下午开设湿疹
    # 专病门诊，请提前预约」「医生科普：高血压患者不要自行停药」)
    r"(本院|我院)\S{0,10}(门诊|体检|预约|挂号|开放|停诊|出诊|坐诊)|专病门诊|(开设|开放|开诊)\S{0,6}门诊|挂号|坐诊|出诊|(不要|切勿|不可|别)(自行|擅自|随意)(停药|减药|换药|用药)|"
    r"医生科普|科普[：:]")
# wh-questions (哪/什么/谁/怎么/如何/多少) and A-not-A questions (能不能, 可不可以); 为什么 presupposes the claim,
# 吗 questions can be rhetorical hooks, and so can 是不是 (「是不是白了一个度？」).
_WH = re.compile(r"哪|什么|啥|谁|怎么|怎样|如何|多少|能不能|可不可以|可以不可以|行不行|适不适合|有没有用|管不管用")
# A rule that forbids the term, cited in the sentence: 「广告法规定不能说"最好"」「不允许使用国旗、国徽」.
_PROHIBITION = re.compile(r"(?:不允许|不得|不能|不可以|禁止|严禁|不准|不让)(?:使用|出现|宣传|宣称|说|用|写|标注|印)?")
_RULE_CITED = re.compile(r"广告法|法规|法律|规定|条例|第[一二三四五六七八九十百0-9]+条|监管|要求")
_NO_CLAUSE_BREAK = re.compile(r"[，。！？；,.!?;\n…~～：:]")
_WHY = re.compile(r"为什么|为何|为啥")
# Rhetorical hooks that assert rather than ask: 「谁还在为高血压发愁？」「谁说脚气断不了根？」「谁能比我们更便宜？」.
_RHETORICAL = re.compile(r"谁还(?:在|会|要|用)|还在为|谁说|谁(?:能|敢|还能)比")
# The question is answered "no" right away: 「药妆？不，这是普通面霜」「能不能马上白？不能」.
_ANSWERED_NO = re.compile(
    r"[”\"」』’\s]*(?:(?:答|回答|主播|客服|店主|掌柜|老板)[：:]\s*)?"  # 「问：…吗？答：不治病，就是…」
    # a lead-in before the answer (v12: 「答案是不能」「说实话不能」「客服：亲，这是普通食品哦」)
    r"(?:答案是|说实话|实话说|老实说|坦白(?:说|讲)|其实|亲[，,]?|哈哈[，,]?)?"
    r"(?:这(?:只|就)?是(?:一款|款|个|一个)?普通|"
    r"(?:(?:不是|不能|不会|不行|并不|当然不|没有|不[\u4e00-\u9fff]{0,2}?)(?:的|哦|呢|啊)?[，,。.！!]"
    r"|(?:这个|这|这点)?(?:我|我们)?(?:不敢说|不敢保证|不好说|说不好|不能保证|不确定)))")


# A notice, a house rule or a training slide about what ads may not say quotes the banned words it lists (v13:
# 「直播间规则：禁止主播说最、第一」「消费者注意：不要相信三天根治」「新规：宣称美白祛斑的化妆品必须取得注册证」
# 「培训课件：哪些说法属于虚假宣传？比如一抹就白」): a label and a colon open the line, and the line forbids or warns.
_NOTICE_HEAD = re.compile(r"(?:规则|新规|规定|提示|提醒|注意|须知|课件|培训|公告|通知|警示|守则|科普|小贴士)[：:]")
_NOTICE_RULE = re.compile(
    r"禁止|严禁|不得|不准|不允许|不能(?:出现|说|用|写|宣传|宣称|标|印)|(?:不要|别|切勿)(?:相信|信|说|写|用|被)|"
    r"必须(?:取得|持有|具备|经过|备案|注册|有)|属于(?:虚假|违法|违规)|虚假宣传|违法|违规|极限词|违禁词|敏感词")
# A list of the words, named as such after it: 「不要相信三天根治、无效退款这类说法」.
_WORDS_NAMED_AFTER = re.compile(r"(?:[、，,和及与或][^。！？；、，,]{1,12}){0,4}?(?:这类|这些|此类|等|之类的?)(?:说法|词|用语|宣传|字眼|话术)")


def notice_about_claims(text: str, start: int, end: int) -> bool:
    """The line is a notice or a rule that quotes what may not be claimed, or a list of claims named as such."""
    head = _NOTICE_HEAD.search(text, 0, start)
    if head and head.start() <= 12 and _NOTICE_RULE.search(text):
        return True
    return bool(_WORDS_NAMED_AFTER.match(text, end))


_DISCLAIMER = re.compile(
    r"(?:不敢|不能|没法|无法|不会|不|从不|绝不)(?:保证|打包票|担保|承诺|吹)|不敢(?:说|讲)|不能说|不好说|不包(?=过|会|教)")


def _left_edge(text: str, start: int, breaks: str) -> int:
    k = start
    while k > 0 and text[k - 1] not in breaks:
        k -= 1
    return k


def _right_edge(text: str, end: int, breaks: str) -> int:
    k = end
    while k < len(text) and text[k] not in breaks:
        k += 1
    return k


def disclaimed(text: str, start: int) -> bool:
    """The clause disclaims what follows: 「不敢保证你吃了就瘦」「不能保证摔了手机一定不坏」「不敢说最好」."""
    return bool(_DISCLAIMER.search(text, _left_edge(text, start, CLAUSE_BREAKS), start))


# The potential complement denies the verb: 「治不了鼻炎」「根治不了」「去不掉」.
_CANNOT_CURE = re.compile(r"(?:治|医|防|祛|去|消|除)不(?:了|好|掉|住)")


def negated(text: str, start: int) -> bool:
    """The clause denies what follows (不能治疗, 不含激素, 不具有治疗作用), or disclaims it (不敢保证…)."""
    before = text[_left_edge(text, start, CLAUSE_BREAKS):start]
    if _CANNOT_CURE.search(text, _left_edge(text, start, CLAUSE_BREAKS), start + 3):
        return True  # 「治不了鼻炎」「根治不了」: the verb's complement denies it
    return disclaimed(text, start) or bool(_NEGATED_TAIL.search(before) or _FREE_OF_TAIL.search(before) or _ADVICE_HEAD.search(before))


def _in_title(text: str, start: int, end: int) -> bool:
    """The term is part of a title in 《》 (a book, a law, a programme)."""
    opening = text.rfind("《", 0, start)
    return opening >= 0 and "》" not in text[opening:start] and "》" in text[end:]


def _rule_cited(text: str, start: int, end: int) -> bool:
    """The sentence cites a rule, and a prohibition stands before the term in the same clause (a list joined by
    、 or quotation marks continues the clause): 「《广告法》第九条不允许使用国旗、国徽、国歌」."""
    left = _left_edge(text, start, SENTENCE_BREAKS)
    right = _right_edge(text, end, SENTENCE_BREAKS)
    if not _RULE_CITED.search(text, left, right):
        return False
    for m in _PROHIBITION.finditer(text, left, start):
        if not _NO_CLAUSE_BREAK.search(text, m.end(), start):
            return True
    return False


def quoted_mention(text: str, start: int, end: int) -> bool:
    """The term is inside quotation marks, or reported with a distancing word, in a sentence that rejects it;
    or it is part of a title in 《》; or the sentence cites a rule that forbids it."""
    if (_in_title(text, start, end) or _rule_cited(text, start, end) or disclaimed(text, start)
            or notice_about_claims(text, start, end)):
        return True
    left = _left_edge(text, start, SENTENCE_BREAKS)
    right = _right_edge(text, end, SENTENCE_BREAKS)
    sentence = text[left:right]
    if _names_the_word(sentence, text[start:end]):
        return True  # 「以为药妆是个品类，其实没有药妆这个说法」: the word itself is the topic
    if _WORD_LIST_HEAD.search(text, left, start) and text[start - 1:start] in "：:、" and text[end:end + 1] in "、，,。":
        return True  # 「成语故事绘本：立竿见影、对症下药」: an entry in a list of words
    if _REPORTED.search(text, left, start) and _REBUTTAL.search(text, end, right):
        return True
    if (_REPORTED.search(text, left, start) and right < len(text) and text[right] in "？?"
            and _DEBUNKED_NEXT.match(text, right + 1)):
        return True  # 「网上说喝柠檬水能治癌？别信！」: asked, then knocked down
    openings = [
        k for k in range(left, start)
        if text[k] in QUOTES and QUOTES[text[k]] not in text[k + 1:start] and QUOTES[text[k]] in text[end:right + 1]
    ]
    if openings and (_ABOUT_THE_WORD.search(sentence) or _DENIED_BEFORE_QUOTE.search(text, left, openings[-1])):
        return True
    if not _DISTANCING.search(sentence):
        return False
    return bool(openings) or bool(_DISTANCING.search(text[left:start]))


# A question that doubts the claim (v13: 「喝这个真的能治好胃病吗？」「美白精华到底有没有用吗？」「央视报道的那些产品都
# 靠谱吗？」), or one that offers another way (「宝宝湿疹能用普通润肤霜吗？还是得看医生？」) asks; a hook is answered yes.
_DOUBT = re.compile(r"真的|真能|真会|真有|到底|究竟|靠谱|有用吗|管用吗|有效吗|有效果吗|可信吗|是真的吗")
_OR_ELSE_NEXT = re.compile(r"\s*还是[^。！？!?]{1,20}[？?]")
_ANSWERED_YES = re.compile(
    r"[”\"」』’\s]*(?:(?:答|回答|主播|客服|店主|老板)[：:]\s*)?(?:答案是)?"
    r"(?:(?:能|可以|会|有|是的|是|有用|管用|有效)(?:的|啊|呀|哦|呢)?[，,。.！!]|当然|必须|没错|绝对|肯定|真的|亲测|实测|用过的?都说)")


def wh_question(text: str, start: int, end: int) -> bool:
    """The sentence is a wh-question (ends with ？/?) that asks rather than asserts."""
    left = _left_edge(text, start, SENTENCE_BREAKS)
    right = _right_edge(text, end, SENTENCE_BREAKS)
    if right >= len(text) or text[right] not in "？?":
        return False
    if _ANSWERED_NO.match(text, right + 1):
        return True  # asked and denied: 「药妆？不，这是普通面霜」
    sentence = text[left:right]
    if _WHY.search(sentence) or _RHETORICAL.search(sentence):
        return False
    if (_DOUBT.search(sentence) or _OR_ELSE_NEXT.match(text, right + 1)) and not _ANSWERED_YES.match(text, right + 1):
        return True
    return bool(_WH.search(sentence))


# A clinician or a hospital speaking for itself (v13: 「医生提醒：血压高要按时吃药」「市人民医院：冬季是心脑血管疾病高发
# 期」「我是三甲医院皮肤科医生，今天聊聊湿疹宝宝的日常护理要点」), or a personal record marked as no ad (「#糖尿病 饮食记录
# …（非广告，个人记录）」): not an ad, as long as the line points at no goods and reports no cure.
_CLINICIAN_SPEAKS = re.compile(
    r"^\S{0,8}(?:医生|医师|大夫|营养师|药师|护士|医院|卫生院|卫健委)(?:提醒|提示|科普|温馨提示|说)?[：:]"
    r"|^我是\S{0,12}(?:医生|医师|大夫|营养师|药师|护士)")
_NOT_AN_AD = re.compile(r"非广告|不是广告|无广告?|非推广|个人记录|日常记录")
_POINTS_AT_GOODS = re.compile(r"这款|此款|本品|这个产品|我们家|这瓶|这盒|这支|这罐|链接|下单|拍下|囤|入手|同款|推荐|专用")


def caution(text: str, start: int, end: int) -> bool:
    """The sentence is a warning or a restriction (慎用, 请勿使用, 遵医嘱), not a benefit; or the line is a clinician's
    own advice or a personal record marked as no ad."""
    left = _left_edge(text, start, SENTENCE_BREAKS)
    right = _right_edge(text, end, SENTENCE_BREAKS)
    if _CAUTION.search(text, left, right):
        return True
    speaker = _CLINICIAN_SPEAKS.search(text) or _NOT_AN_AD.search(text)
    return bool(speaker) and not _POINTS_AT_GOODS.search(text) and not _WORK_CURES.search(text)


# A work or a course ABOUT an illness names it as its subject, not as an effect of the goods (h-recall9, v10/v11):
# 「《抗癌日记》，作者记录了陪母亲治疗的三年」「高血压患者居家护理在线课程」「母婴护理师培训，教你观察新生儿黄疸」.
_WORK = re.compile(r"《[^》]{1,30}》|课程|(?:线上|在线|公开|护理|照护|指导)课|(?<!上)网课(?!党|族)|培训|讲座|纪录片|教程|共\d+(?:讲|集|课)|授课|主讲")
# ...unless the sentence promises the illness gone: 「照着这本书天天练，糖尿病不用再吃药」「养生课，高血压都能调理好」.
_WORK_CURES = re.compile(r"治好|治愈|痊愈|根治|调理好|好了|不用再?吃药|停药|减药|降下来|不再犯|没再犯|不犯了|康复了|摘掉")


def about_a_work(text: str, start: int, end: int) -> bool:
    """The sentence is about a book, film or course whose subject is the illness, and promises no cure."""
    if "《" in text[start:end] and "》" in text[start:end]:
        return False  # the title is inside the claim: 「央视《每周质量报告》报道过的…」 names the programme that reported (v13)
    sentence = text[_left_edge(text, start, SENTENCE_BREAKS):_right_edge(text, end, SENTENCE_BREAKS)]
    return bool(_WORK.search(sentence)) and not _WORK_CURES.search(sentence)


def cleared_by_context(text: str, start: int, end: int, contexts: Iterable[str]) -> bool:
    """True when one of the rule's contexts shows the hit is not a claim."""
    for kind in contexts:
        if kind == "negation" and negated(text, start):
            return True
        if kind == "quotation" and quoted_mention(text, start, end):
            return True
        if kind == "question" and wh_question(text, start, end):
            return True
        if kind == "caution" and caution(text, start, end):
            return True
        if kind == "work" and about_a_work(text, start, end):
            return True
    return False
