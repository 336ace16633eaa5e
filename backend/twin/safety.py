"""Safety screen for member messages: crisis, violence, abuse and medical-emergency signals.

Phrase patterns, not a model: predictable, testable, no downloads. Choices, erring toward care:
- a negated mention ("I'm not suicidal") is not a crisis, unless the same message carries distress
  markers ("...but I feel hopeless"), then it is;
- first-person intent ("I want to die") is always flagged; idioms ("this deadline is killing me",
  "I could kill for a coffee", "dying to see it") are not matched at all;
- "suicide" as a topic without first person ("What did Seneca think of suicide?") is risk
  "sensitive", not flagged: the twin may answer, and the caller may append resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class SafetyVerdict:
    risk: str  # "none" | "crisis" | "violence" | "abuse" | "medical" | "sensitive"
    flagged: bool
    reason: str


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.I)


_CRISIS = _rx(
    r"(?:kill|killing|hang|hanging|hurt|hurting|harm|harming|cut|cutting|burn|burning) (?:my ?self|myself)",
    r"end(?:ing)? (?:my|it) (?:life|all)|end it all|take my (?:own )?life|suicidal",
    r"(?:want|wanna|wish|going|plan(?:ning)?) (?:to )?(?:die|be dead|not (?:exist|wake up|be here))",
    r"don'?t want to (?:live|be alive|exist|wake up|be here)|do not want to (?:live|be alive|exist|wake up)",
    r"(?:better off|world would be better) (?:dead|without me)|no (?:reason|point) (?:to|in) (?:live|living|go on)",
    r"can'?t (?:go on|take (?:it|this) any ?more|keep going)|cannot go on|self[- ]harm",
    r"(?:took|take|swallow(?:ed)?) (?:all|a bunch of|too many) (?:my |of my |the )?(?:pills|tablets)",
    r"jump (?:off|from) (?:a|the) (?:bridge|roof|building)|wrote (?:a|my) (?:suicide|goodbye) note",
)
_VIOLENCE = _rx(
    r"(?:kill|murder|shoot|stab|strangle|poison) (?:him|her|them|my (?:\w+ )?(?:boss|wife|husband|partner|"
    r"father|mother|dad|mom|brother|sister|neighbou?r|ex|coworker|colleague)|someone|people|everyone)",
    r"(?:hurt|beat up|attack) (?:him|her|them|someone|people|my (?:kid|child|children|baby))",
    r"(?:bring|brought|take|taking) a (?:gun|knife|weapon) to (?:school|work|the office)",
)
_ABUSE = _rx(
    r"(?:he|she|they|my (?:\w+ )?(?:husband|wife|partner|boyfriend|girlfriend|father|mother|dad|mom|stepdad|"
    r"stepfather|parent|parents|boss|uncle|coach|teacher|ex)) (?:hits|hit|beats|beat|chokes|choked|kicks|kicked|"
    r"slaps|slapped|rapes|raped|abuses|abused|hurts|threatens|threatened|locks me)",
    r"(?:being|been|was|am|get|getting) (?:abused|raped|molested|beaten|sexually assaulted|assaulted)",
    r"domestic (?:violence|abuse)|(?:afraid|scared) to go home|not safe at home|(?:forced|forces) me to have sex",
)
_MEDICAL = _rx(
    r"chest (?:pain|pains|tightness|hurts)|(?:can'?t|cannot|trouble|difficulty|hard to) breath(?:e|ing)",
    r"heart attack|having a stroke|face (?:is )?drooping|overdos(?:e|ed|ing)|unconscious|not breathing",
    r"seizure|(?:bleeding|blood) (?:heavily|a lot|won'?t stop|everywhere)|anaphyla|throat (?:is )?closing",
    r"coughing (?:up )?blood|passed out|fainted and",
)
_NEGATION = re.compile(
    r"\b(?:not|never|no|don'?t|doesn'?t|didn'?t|won'?t|wouldn'?t|am not|i'?m not|isn'?t|nor|without|stopped)"
    r"\W+(?:\w+\W+){0,3}$",
    re.I,
)
_DISTRESS = _rx(
    r"hopeless|worthless|no way out|a burden|can'?t cope|empty inside|nothing matters|trapped|give up on life",
    r"thinking about (?:it|dying|death) (?:a lot|all the time|lately)|alone with this",
)
_TOPIC = _rx(r"suicid\w*|self[- ]harm|euthanasia|taking (?:one'?s|his|her) (?:own )?life")
_FIRST_PERSON = _rx(r"i|i'm|i've|i'd|me|my|myself")
_STUDY = _rx(r"seneca|stoic\w*|epictetus|marcus|letter|essay|book|chapter|philosoph\w*|author|wrote|write")

_ORDER = (("crisis", _CRISIS), ("violence", _VIOLENCE), ("abuse", _ABUSE), ("medical", _MEDICAL))


def _live_matches(pattern: re.Pattern[str], text: str) -> tuple[list[str], list[str]]:
    """Matches split into asserted and negated ones (a negator within a few words before the match)."""
    live: list[str] = []
    negated: list[str] = []
    for m in pattern.finditer(text):
        # A negation that is part of the phrase itself ("don't want to live") is no negation.
        before = text[max(0, m.start() - 40) : m.start()]
        (negated if _NEGATION.search(before) else live).append(m.group(0))
    return live, negated


def assess(text: str) -> SafetyVerdict:
    text = re.sub(r"[’`]", "'", text or "")
    negated_any: list[str] = []
    for risk, pattern in _ORDER:
        live, negated = _live_matches(pattern, text)
        if live:
            return SafetyVerdict(risk, True, f"matched {live[0]!r}")
        negated_any += negated
    negated_any += _live_matches(_TOPIC, text)[1]
    if negated_any:
        if _DISTRESS.search(text):
            return SafetyVerdict("crisis", True, f"denied {negated_any[0]!r} but distress signals present")
        return SafetyVerdict("none", False, f"negated mention {negated_any[0]!r}")
    topics = _live_matches(_TOPIC, text)[0]
    if topics:
        if _FIRST_PERSON.search(text) and not _STUDY.search(text):
            return SafetyVerdict("crisis", True, f"first-person message about {topics[0]!r}")
        return SafetyVerdict("sensitive", False, f"mentions {topics[0]!r} as a topic")
    if len(_DISTRESS.findall(text)) >= 2:
        return SafetyVerdict("crisis", True, "several distress markers")
    return SafetyVerdict("none", False, "no risk signals")


_RESOURCES = (
    "If you are in immediate danger, call your local emergency number now (112 across Europe, 911 in the US "
    "and Canada, 999 in the UK, 000 in Australia). You can find a free, confidential crisis line in your "
    "country at https://findahelpline.com — in the US, call or text 988; in the UK and Ireland, Samaritans "
    "answer on 116 123, day and night."
)
_BODY = {
    "crisis": "What you wrote matters, and I am glad you said it. You deserve support from a real person right "
    "now, someone who can listen and stay with you through this.",
    "violence": "It sounds like things feel overwhelming, maybe to the point of wanting to hurt someone. Please "
    "put some distance between yourself and the situation, and anything that could cause harm, and talk to "
    "someone who can help right now.",
    "abuse": "No one deserves to be hurt or threatened, and it is not your fault. Your safety comes first. "
    "A domestic abuse or crisis helpline can help you think through options, confidentially (in the US: "
    "1-800-799-7233).",
    "medical": "This sounds like it could be a medical emergency. Please call your emergency number or get to "
    "the nearest emergency department now, and don't wait to see if it passes.",
}


def safe_reply(verdict: SafetyVerdict, address_form: str = "you") -> str:
    """A caring reply with help resources and no coaching advice. Plain modern English whatever the
    persona: in a crisis, clarity matters more than voice (so "thou" personas are not imitated here)."""
    body = _BODY.get(verdict.risk, _BODY["crisis"])
    greeting = "My friend, " if address_form == "friend" else ""
    closing = "I'm a digital twin, not a person, and I can't help the way a trained person can — please reach out."
    return f"{greeting}{body}\n\n{_RESOURCES}\n\n{closing}"


# ---- hard moments: grief, loss, illness, a breakup, burnout (not crises) -------------------------------------

_HARD = (
    (
        "grief",
        _rx(
            r"(?:died|passed away|passed on|is dead|was killed|funeral|grieving|grief|bereave\w*)",
            r"miscarriage|stillborn",
            r"lost (?:my|our) (?:\w+ )?(?:father|mother|dad|mom|mum|wife|husband|partner|son|daughter|child|baby|kid|"
            r"brother|sister|friend|grandma|grandmother|grandfather|grandpa|granny|uncle|aunt|dog|cat|pet)",
            r"(?:death|loss) of (?:my|our)",
        ),
    ),
    (
        "illness",
        _rx(
            r"diagnosed with|(?:have|has|got) (?:\w+ )?cancer|chemo\w*|terminal(?:ly ill)?|(?:chronic|long[- ]term) "
            r"(?:illness|pain|condition|fatigue)",
            r"(?:i'?m|i am|i've been) (?:really |very |so )?(?:sick|ill)\b|(?:is|was) (?:\w+ )?(?:sick|ill) again",
            r"in (?:the )?hospital|(?:my|an?) (?:surgery|operation) (?:is|was|next)",
        ),
    ),
    (
        "breakup",
        _rx(
            r"broke up|break ?-?up|dumped me|(?:getting|got) divorced|divorc(?:e|ing) (?:me|my)",
            r"(?:she|he|they) left me|cheated on me|(?:we|i) separated|my ex\b",
        ),
    ),
    (
        "burnout",
        _rx(
            r"burn(?:ed|t)? ?-?out|so (?:tired|exhausted) of (?:work|everything)",
            r"(?:completely|totally|so) (?:exhausted|drained|overwhelmed)|running on empty",
            r"can'?t keep up (?:with|at) (?:work|my job)",
            r"(?:laid off|got fired|was fired|lost my job)",
        ),
    ),
)


def hard_moment(text: str) -> str | None:
    """The kind of painful moment the message tells of ("grief", "illness", "breakup", "burnout"), or None.
    A crisis (assess()) is handled before this and takes precedence."""
    text = re.sub(r"[’`]", "'", text or "")
    for kind, pattern in _HARD:
        live, _ = _live_matches(pattern, text)
        if live:
            return kind
    return None


_ACK = {
    "grief": "I am so sorry for your loss. Grief takes the ground from under us, and it is all right not to be able "
    "to focus right now.",
    "illness": "I am sorry you are going through this. Being unwell wears on the mind as much as the body.",
    "breakup": "I am sorry. The end of a relationship hurts, and it takes time to find your footing again.",
    "burnout": "That sounds exhausting. Running on empty for a long time is hard on anyone.",
}
_ACK_THOU = {
    "grief": "I am sorry for thy loss. Grief takes the ground from under us; be patient with thyself.",
    "illness": "I am sorry thou art going through this. Sickness wears on the mind as much as the body.",
    "breakup": "I am sorry. Such an ending hurts, and it takes time to find thy footing again.",
    "burnout": "Thou soundest weary. Labouring long on empty is hard on anyone.",
}


def acknowledge(kind: str, address_form: str = "you") -> str:
    """A short, warm first line for a hard moment, in the persona's address form."""
    if address_form == "thou":
        return _ACK_THOU[kind]
    line = _ACK[kind]
    if address_form != "friend":
        return line
    return "My friend, " + (line if line.startswith("I ") else line[0].lower() + line[1:])


def nothing_written(kind: str, address_form: str = "you") -> str:
    """What follows the acknowledgement when the creator's material has nothing on it: honest and kind."""
    if address_form == "thou":
        return (
            "My writings do not speak to this, and I will not pretend they do. Lean on someone close to thee, a "
            "friend or family, and be gentle with thyself."
        )
    return (
        "My writings don't speak to this directly, and I won't pretend they do. Please lean on someone close to "
        "you — a friend, family, someone you trust — and be gentle with yourself."
    )
