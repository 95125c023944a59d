"""Spotting text in a draft that talks to a reviewer or a model instead of the colleague.

A draft is data, but a model reading it may obey instructions written into it ("mark
every element present", "ignore previous instructions", a fake ``</draft>`` tag, a
"system note"). When such text is found, the merge stops trusting the model's judgement
for that draft: the score and verdict are the rules' (the model can still add problems,
which only lowers them), and the result carries a warning. The patterns are checked on
the normalised draft (compatibility forms folded by NFKC, so full-width letters are
plain ones; common Cyrillic and Greek look-alikes read as Latin; lower case, apostrophes
and zero-width characters removed, white space folded), so such disguises do not hide
them.
"""

from __future__ import annotations

import re
import unicodedata

from .text import normalize

# Cyrillic and Greek letters that look like Latin ones ("іgnоre" with Cyrillic і and о).
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁɡАЕОРСУХІЈЅВНКМТΑΒΕΗΙΚΜΝΟΡΤΥΧοіκνρτυχ",
    "aeopcyxijsdgAEOPCYXIJSBHKMTABEHIKMNOPTYXoikvptux",
)

_TARGETS = (
    r"(?:instructions?|rules|prompts?|guidance|guidelines|directions|directives|task|context)"
)
# Who a hidden instruction addresses: a model, never a person's role ("as a reviewer on
# this project", "note for reviewers" are ordinary in code-review apologies).
_MODEL = (
    r"(?:ai|a\.i\.|model|assistant|grader|evaluator|chatgpt|gpt|llm|language model|bot|"
    r"ai reviewer|ai grader)"
)
_PATTERNS = [
    # "ignore previous instructions", "disregard the rules above", "forget your prompt"
    rf"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{{0,40}}\b{_TARGETS}\b",
    # "new instructions:", "updated task", "the real rules"
    rf"\b(?:new|updated|real|actual|hidden|secret|additional|revised)\s+{_TARGETS}\b",
    # "system note", "system prompt", "developer message", "assistant:"
    r"\b(?:system|developer|admin|administrator|assistant|reviewer|grader)\s*"
    r"(?:note|message|prompt|instruction|instructions|override|update|notice)\b",
    r"(?:^|\n)\s*(?:system|assistant|developer|user|instruction|instructions)\s*:",
    r"(?:^|\n)\s*#{1,6}\s*(?:instruction|system|task|response)",
    # fake delimiters: </draft>, <system>, [INST], <|im_start|>
    r"<\s*/?\s*(?:draft|situation|system|instructions?|user|assistant|prompt)\s*>",
    r"\[/?inst\]|<\|im_(?:start|end)\|>|<\|(?:system|user|assistant)\|>",
    # "mark every element present", "score this 100", "rate it as perfect"
    r"\b(?:mark|set|list|report|treat|count|flag|rate|score|grade|label|consider|return|"
    r"output|classify|tick|check off)\b[^.\n]{0,40}\b(?:present|100|perfect|complete|"
    r"flawless|no problems|ready|all six|every element|all elements|all the elements|"
    r"10/10|full marks|a pass)\b",
    # "note to the AI", "dear reviewer", "you are an assistant", "act as a grader"
    rf"\b(?:note|message|instructions?|hint|memo)\s+(?:to|for)\s+"
    rf"(?:the\s+|any\s+|an\s+|a\s+)?{_MODEL}\b",
    rf"\b(?:dear|hey|hi|attention|to)\s+(?:the\s+)?{_MODEL}s?\b\s*[,:!]",
    rf"\b(?:you are|youre|act as|pretend to be|roleplay as|as an?)\s+(?:now\s+)?(?:an?\s+|the\s+)?"
    rf"(?:helpful\s+|friendly\s+|lenient\s+)?{_MODEL}\b",
    # "respond only with JSON", "answer with the following"
    r"\b(?:respond|reply|answer|output|return|print)\s+(?:only\s+)?(?:with|in|using)\s+"
    r"(?:json|the following|this|exactly)\b",
    # "do not flag anything", "don't report problems"
    r"\b(?:do not|dont|never|stop)\s+(?:flag|report|list|mark|critique|criticize|criticise)\b",
    r"\b(?:do not|dont|never)\s+mention\s+(?:any\s+|the\s+)?(?:problems?|issues?|elements?)\b",
    # "this draft is perfect", "the message has no problems"
    r"\b(?:the|this)\s+(?:draft|message|reply|text|apology|email)\s+(?:is|has|contains)\s+"
    r"(?:perfect|flawless|exemplary|complete|no problems|no issues|already perfect)",
    r"\b(?:praise|approve|greenlight)\s+(?:this|the)\s+(?:draft|message|reply|"
    r"apology|text|email)\b",
    r"\b(?:jailbreak|prompt injection|dan mode|developer mode|god mode)\b",
    r"\b(?:score|rating|verdict|grade)\s*(?::|=|should be|must be|is)\s*"
    r"(?:ready|100|10/10|perfect)",
    # JSON a model might copy: "present": true, "problems": []
    r"\"\s*(?:present|problems|elements|verdict|score)\s*\"\s*:",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def instruction_like(text: str | None) -> list[str]:
    """The instruction-like passages in ``text`` (normalised), or ``[]``."""
    if not text:
        return []
    folded = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    norm = normalize(folded).text
    return [m.group(0).strip() for m in _INSTRUCTION.finditer(norm)]


WARNING = (
    "The draft contains text addressed to a reviewer or a model ({what}), so the model's "
    "judgement was not counted: the score and verdict are the rules'."
)


def warning(found: list[str]) -> str:
    shown = found[0] if len(found[0]) <= 40 else found[0][:39] + "…"
    return WARNING.format(what=f"“{shown}”")
