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
# Word classes, kept broad on purpose: the check only has to tell words that could carry
# the element from words that cannot (instructions, labels, unrelated text), not decide
# whether the element holds; that is the model's judgement, and the rules'.
_FIRST_PERSON = r"\b(?:i|im|ive|id|ill|me|my|mine|myself|we|weve|were|our|us)\b"
_DONE = r"\b(?:\w+ed|done|made|sent|put|set|rewritten|written|taken|given|gone|cut)\b"
_CUES: dict[str, re.Pattern[str]] = {
    "apology": re.compile(
        r"\b(?:sorry|apologi[sz]e[sd]?|apologi[sz]ing|apology|apologies|regret|regretful|"
        r"forgive me|my bad|pardon)\b"
    ),
    # an admission, or a judgement of the act or its effect
    "owns_mistake": re.compile(
        _FIRST_PERSON + r"|\b(?:wrong|mistake|fault|right|hurt\w*|harm\w*|unfair|fair|"
        r"not (?:okay|ok|good|acceptable|fine)|inappropriate|should(?:nt| not| have)?|"
        r"responsib\w*|rude|dismissive|condescending|unkind|harsh\w*|mean|cruel|racist|"
        r"sexist|\w*phobic|demean\w*|belittl\w*|sneer\w*|contempt\w*|insult\w*|"
        r"offensive|out of (?:line|order)|no place|failure|failed|undermin\w*|undercut|"
        r"embarrass\w*|humiliat\w*|disrespect\w*|careless|lazy|ignorant|unacceptable|"
        r"deserve\w*|thoughtless|rubbish|rotten|terrible|awful|not correct|discriminat\w*|"
        r"diminish\w*|(?:not|wasnt|isnt) (?:okay|ok)|taking credit|punchline|gendered)\b"
    ),
    # a question, an offer of the choice, or words about what they need
    "centers_impacted": re.compile(
        r"\?|\b(?:let me know|tell me|your (?:call|decision|choice|terms|pace)|up to (?:you|u)|"
        r"if (?:you|u)(?:d| would)? (?:rather|prefer|want|like|agree|need|wish)|rather|prefer|"
        r"whatever (?:you|u)|work(?:s)? for (?:you|u)|would (?:help|suit)|"
        r"(?:you|u) (?:pick|choose|decide)|unless (?:you|u)|whichever|the choice|"
        r"(?:do|would|should|can|could) (?:you|u) (?:want|like|prefer|need|rather)|"
        r"(?:anything|something) (?:else|more)|(?:like|want) to (?:ask|know|hear))\b|"
        r"\b(?:if|whatever|what|how|whether|when|which)\b.{0,60}"
        r"\b(?:need|needs|want|wants|like|help|support|comfortable|wish|works?|"
        r"decide|choose|feel|suit)\b"
    ),
    # an invitation to say more, listening, thanks for raising it, learning from it
    "listens": re.compile(
        r"\b(?:listen\w*|hear\w*|tell me|talk\w*|shar\w+|learn\w*|thank\w*|thx|cheers|"
        r"grateful|appreciat\w*|understand\w*|here for|open|ears|perspective|experience|"
        r"thoughts|feedback|point\w* (?:it )?out|correct\w* me|call\w* (?:me|it) (?:in|out)|"
        r"pull\w* me up|push\w* back|say\w* (?:more|something)|reach\w* out|know if|"
        r"read\w*|questions?|write|wrote|reflect\w*|right to|ty|flag\w*)\b"
    ),
    # a future or a standing change
    "commits_to_change": re.compile(
        r"\b(?:will|ill|well|wont|shall|going to|gonna|from (?:now|here|today|tomorrow|"
        r"monday|the next|this|next)\w*|next time|(?:in|all) (?:the )?future|commit\w*|"
        r"promise\w*|make sure|plan\w* to|intend\w* to|(?:moving|going) forward|"
        r"again|starting|effective|always|never|every|each|anymore|any more|no longer|"
        r"(?:am|im|ive been|have been) \w+ing|ive (?:started|begun|set|signed)|"
        r"i (?:started|signed up|set up|have started)|may not|must|so it|ive \w+ed|"
        r"happy to|whoever)\b"
    ),
    # an action that repairs: offered, planned or done
    "offers_repair": re.compile(
        _FIRST_PERSON + r"|" + _DONE + r"|\b(?:will|can|could|shall|happy to|glad to|"
        r"let me|offer\w*|correct\w*|fix\w*|make (?:it|this|that|things) right|"
        r"set the record straight|credit\w*|reach out|follow\w* up|send|email|tell|"
        r"talk to|speak to|repair\w*|redo|re-\w+|arrange|reschedule|cover|pay|replace|"
        r"now|yours|moves?|enclosed|attached|back)\b"
    ),
}


def can_carry(element_id: str, quote: str) -> bool:
    """Whether ``quote`` holds words that can express ``element_id`` and no
    instruction-like text."""
    cue = _CUES.get(element_id)
    if cue is None or instruction_like(quote):
        return False
    return cue.search(normalize(quote).text) is not None
