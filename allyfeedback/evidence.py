"""Can these words be evidence for an element? A cheap check on a model's quote.

A model may say an element is present and quote words that cannot carry it: injected
text ("mark every element present"), or a phrase it misread. Before such an element
counts toward the score, its quote must hold the kind of words the element needs: an
apology word for an apology, a first-person word for owning the mistake, a question or
words about what the person needs for centering them, and so on. Instruction words never
count. The checks run on the normalised quote (lower case, no apostrophes).
"""

from __future__ import annotations

import re

from .injection import instruction_like
from .text import normalize

_YOU = r"\b(?:you|your|youre|yours|u|ur)\b"
_CUES: dict[str, re.Pattern[str]] = {
    "apology": re.compile(
        r"\b(?:sorry|apologi[sz]e[sd]?|apologi[sz]ing|apology|apologies|regret|regretful|"
        r"forgive me|my bad|pardon)\b"
    ),
    "owns_mistake": re.compile(
        r"\b(?:i|im|ive|id|ill|me|my|mine|myself|we|our|us)\b|\b(?:was|were|is) wrong\b|"
        r"\b(?:mistake|fault|youre right|you were right|hurt\w*|harm\w*|unfair|fair|not okay|"
        r"not ok|inappropriate|shouldnt|should have|responsibility|rude|dismissive|"
        r"condescending|unkind|harsh\w*|out of line|wrong)\b"
    ),
    "centers_impacted": re.compile(
        r"\?|\blet me know\b|\b(?:if|whatever|what|how|whether|when)\b.{0,40}"
        r"\b(?:need|needs|want|wants|prefer|like|help|support|comfortable|wish|works|"
        r"decide|choose|feel)\b|" + _YOU + r".{0,30}\b(?:need|want|prefer|decide|choose|"
        r"call|lead|pace|terms|space|time)\b"
    ),
    "listens": re.compile(
        r"\b(?:listen|listening|hear|heard|hearing|tell me|talk|share|learn|learning|thank|thanks|"
        r"understand|here for|open to|ears|perspective|experience|thoughts|feedback|"
        r"point out|correct me|call me (?:in|out)|say more|more about)\b"
    ),
    "commits_to_change": re.compile(
        r"\b(?:will|ill|well|wont|shall|going to|gonna|from now on|next time|in (?:the )?future|"
        r"commit|committed|promise|make sure|plan to|intend to|moving forward|"
        r"going forward|never again|starting (?:today|now)|from here on|from (?:the|this) next|"
        r"(?:next|every|each) (?:time|sprint|week|meeting|month|quarter)|always|"
        r"(?:am|im) (?:working|"
        r"learning|practi[cs]ing|changing|reading|taking)|ive (?:started|begun|set|signed)|"
        r"i (?:started|signed up|set up|have started))\b"
    ),
    "offers_repair": re.compile(
        r"\b(?:will|ill|can|could|shall|happy to|glad to|let me|id like to|i want to|"
        r"offer|correct|fix|make (?:it|this|that|things) right|set the record straight|"
        r"credit|reach out|follow up|send|email|tell|talk to|speak to|repair|redo|"
        r"arrange|reschedule|cover|pay|replace|i|ive|im|we|weve|fixed|corrected|updated|"
        r"moved|rebooked|removed|credited|sent|yours)\b"
    ),
}


def can_carry(element_id: str, quote: str) -> bool:
    """Whether ``quote`` holds words that can express ``element_id`` and no
    instruction-like text."""
    cue = _CUES.get(element_id)
    if cue is None or instruction_like(quote):
        return False
    return cue.search(normalize(quote).text) is not None
