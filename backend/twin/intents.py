"""What kind of message this is, before retrieval: small talk, a request outside any coach's remit, or a question.

Phrase patterns, like the safety screen: predictable and testable. Two kinds are decided here:
- **small talk** ("hi", "thanks", "who are you?"): the whole message is a greeting, thanks, goodbye, an
  acknowledgement or a question about the twin itself. It gets a short reply in the persona's voice, not
  quotes and not a refusal.
- **out of scope**: requests for professional or factual services no coaching material should answer from
  its writings even when a passage happens to share the words (doses and diagnoses, legal and tax matters,
  investments, meal and training plans, tech support, bookings and places, dates and trivia). The twin says
  plainly who can help instead. A member's *feelings* about these matters stay in scope ("I'm stressed about
  money", "my illness limits what I can do"): the patterns name the service asked for, not the topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    kind: str  # "smalltalk" | "out_of_scope"
    label: str  # greeting/thanks/bye/ack/identity | medical/legal/money/plan/tech/places/facts


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.I)


_SMALLTALK = (
    (
        "greeting",
        r"(?:hi+|hello+|hey+|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)|"
        r"how (?:are|r) (?:you|u)(?: doing)?(?: today)?|how'?s it going|what'?s up|sup)",
    ),
    (
        "thanks",
        r"(?:thanks?(?: (?:you|u))?(?: (?:so|very) much)?(?: a lot)?|thx|ty|cheers|many thanks|"
        r"(?:that|this) (?:was|is) (?:helpful|great|useful)|much appreciated|appreciate it)",
    ),
    ("bye", r"(?:bye+|goodbye|good night|see (?:you|ya)(?: later| soon)?|take care|farewell|talk (?:to you )?later)"),
    ("ack", r"(?:ok(?:ay)?|k|cool|nice|great|got it|i see|sure|alright|all right|lol|haha+|hmm+|yes|no|yep|nope)"),
    (
        "identity",
        r"(?:who are you|what are you|are you (?:a |an )?(?:bot|robot|ai|human|real(?: person)?)|"
        r"what can you (?:do|help (?:me )?with)|how does this work)",
    ),
)
_SMALLTALK_RX = [
    (
        label,
        re.compile(
            rf"^\W*(?:{p})(?:[\s,]+(?:{p}))*(?:[\s,]+(?:there|friend|again|everyone|all|"
            rf"man|mate|buddy|coach|then))?\W*$",
            re.I,
        ),
    )
    for label, p in _SMALLTALK
]

_SCOPE = (
    (
        "medical",
        _rx(
            r"dos(?:e|es|age)\b",
            r"\d+ ?mg\b",
            r"milligrams?",
            r"side effects?",
            r"symptoms? of",
            r"diagnos(?:e|is)",
            r"prescri(?:be|ption)",
            r"antibiotics?",
            r"antidepressants?",
            r"ibuprofen|paracetamol|acetaminophen|aspirin|"
            r"melatonin|amoxicillin|insulin|statins?|xanax|adderall|birth control",
            r"how (?:do i|to|should i) treat (?:a|an|my) \w+",
            r"(?:sprained|broken|fractured) (?:ankle|wrist|arm|leg)",
        ),
    ),
    (
        "legal",
        _rx(
            r"is it (?:il)?legal",
            r"legally",
            r"(?:a |my )?(?:lawyer|attorney)\b",
            r"file for (?:divorce|bankruptcy)",
            r"(?:break|breaking|end) (?:my|the|a) lease",
            r"security deposit",
            r"custody of",
            r"visa\b",
            r"immigration",
            r"copyright",
            r"(?:can|should) i sue\b",
        ),
    ),
    (
        "money",
        _rx(
            r"tax(?:es)?\b",
            r"tax return",
            r"deduct(?:ion|ible)?",
            r"capital gains",
            r"index funds?",
            r"bitcoin|crypto",
            r"stocks?\b|etfs?\b|bonds?\b",
            r"mortgage",
            r"interest rate",
            r"401\s?k|roth|ira\b",
            r"(?:should|can) i invest",
            r"negotiate (?:my|a) salary",
        ),
    ),
    (
        "plan",
        _rx(
            r"calorie",
            r"meal plan",
            r"recipe",
            r"keto\b",
            r"intermittent fasting",
            r"grams? of protein",
            r"macros\b",
            r"sets and reps",
            r"(?:training|workout|exercise|diet) (?:plan|schedule|program(?:me)?|routine)\b",
            r"\d+[- ]week (?:\w+ )?(?:plan|schedule|program)",
        ),
    ),
    (
        "tech",
        _rx(
            r"iphone|android|ipad|macbook|laptop|windows 1\d|wi-?fi|router|printer|excel|spreadsheet|pivot table",
            r"python|javascript|typescript|kubernetes|docker|sql\b|linux|my computer|my phone",
            r"factory settings",
            r"write (?:me )?(?:a |some )?(?:code|function|script|program)",
        ),
    ),
    (
        "places",
        _rx(
            r"best (?:pizza|restaurants?|hotels?|bars?|caf[eé]s?|beach(?:es)?|places to (?:eat|stay|visit))",
            r"hotels? near",
            r"where (?:can|should) i (?:eat|stay|buy)",
            r"flights? (?:to|from)",
            r"time zone",
            r"weather (?:in|for|tomorrow|today|this week)",
        ),
    ),
    (
        "facts",
        _rx(
            r"when was \w+(?: \w+)? born",
            r"where was \w+(?: \w+)? born",
            r"(?:what|which|in what) year (?:did|was|were)",
            r"who won",
            r"population of",
            r"capital of",
            r"chemical formula",
            r"how many (?:kilometers|km|miles|pounds|"
            r"kilos|ounces) (?:are|is|in)",
            r"convert \d",
            r"plot of",
            r"tell me a joke",
            r"how do you say .+ in \w+",
        ),
    ),
)


def classify(text: str) -> Intent | None:
    """Small talk or an out-of-scope request, else None (a question for retrieval)."""
    text = (text or "").strip()
    if len(text.split()) <= 8:
        for label, rx in _SMALLTALK_RX:
            if rx.match(text):
                return Intent("smalltalk", label)
    for label, rx in _SCOPE:
        if rx.search(text):
            return Intent("out_of_scope", label)
    return None


_WHO_HELPS = {
    "medical": "a doctor or a pharmacist",
    "legal": "a lawyer or a legal advice service",
    "money": "a tax or financial adviser",
    "plan": "a dietitian or a trainer",
    "tech": "a manual or a support forum",
    "places": "a travel guide or a map",
    "facts": "an encyclopedia or a search engine",
}


def out_of_scope_reply(intent: Intent, address_form: str = "you") -> str:
    who = _WHO_HELPS.get(intent.label, "someone who specialises in it")
    if address_form == "thou":
        return (
            f"That is a question for {who}, not for me: I will not guess at it. If what lies behind it weighs "
            "on thee, tell me, and I will answer from what I have written."
        )
    friend = ", my friend" if address_form == "friend" else ""
    return (
        f"That is a question for {who}, not for me{friend}: I won't guess at it. If something behind it is "
        "weighing on you, tell me about that, and I'll answer from what I have written."
    )


def smalltalk_reply(intent: Intent, name: str, topics: list[str], address_form: str = "you") -> str:
    """A short answer in the persona's voice; `topics`: a few themes of the creator's material to offer."""
    offer = f" — {', '.join(topics[:3])}, and more" if topics else ""
    thou = address_form == "thou"
    ask = ("Ask me what troubles thee" if thou else "Ask me about whatever is on your mind") + offer + "."
    if intent.label == "thanks":
        return ("Thou art welcome." if thou else "You're welcome.") + " Come back whenever something is on your mind."
    if intent.label == "bye":
        return (
            "Farewell. Come back whenever something is on thy mind."
            if thou
            else ("Take care. Come back whenever something is on your mind.")
        )
    if intent.label == "identity":
        return (
            f"I am a digital twin of {name}: I answer from {name}'s own writings and show where each answer "
            f"comes from. {ask}"
        )
    if intent.label == "ack":
        return "Is there something else on thy mind?" if thou else "Is there anything else on your mind?"
    greeting = "Greetings, friend." if address_form == "friend" else ("Greetings." if thou else "Hello!")
    return f"{greeting} {ask}"
