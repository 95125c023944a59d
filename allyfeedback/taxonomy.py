"""The public vocabulary: the six problem ids and six element ids of TAXONOMY.md.

These ids appear in every output format and are part of the API, so they live in one
place and nothing else spells them. Plain constants: importing this module costs nothing.
"""

from __future__ import annotations

from typing import Final, Literal

ProblemId = Literal[
    "centering_self",
    "derailing",
    "victim_blaming",
    "defending",
    "non_apology",
    "minimizing",
]
ElementId = Literal[
    "apology",
    "owns_mistake",
    "centers_impacted",
    "listens",
    "commits_to_change",
    "offers_repair",
]
Severity = Literal["low", "medium", "high"]

PROBLEM_IDS: Final[tuple[ProblemId, ...]] = (
    "centering_self",
    "derailing",
    "victim_blaming",
    "defending",
    "non_apology",
    "minimizing",
)
ELEMENT_IDS: Final[tuple[ElementId, ...]] = (
    "apology",
    "owns_mistake",
    "centers_impacted",
    "listens",
    "commits_to_change",
    "offers_repair",
)
ALL_IDS: Final[tuple[str, ...]] = PROBLEM_IDS + ELEMENT_IDS

TITLES: Final[dict[str, str]] = {
    "centering_self": "Centering yourself",
    "derailing": "Derailing",
    "victim_blaming": "Victim blaming",
    "defending": "Defending",
    "non_apology": "Non-apology",
    "minimizing": "Minimizing",
    "apology": "A clear apology",
    "owns_mistake": "Owning the mistake",
    "centers_impacted": "Asking what they need",
    "listens": "Listening",
    "commits_to_change": "Committing to change",
    "offers_repair": "Offering repair",
}

DEFINITIONS: Final[dict[str, str]] = {
    "centering_self": (
        "Makes the moment about the writer: their feelings, character, good intentions, "
        "own experience, or a request for reassurance, forgiveness or secrecy."
    ),
    "derailing": (
        "Moves attention from the specific harm to another topic: a policy, the culture, "
        "society, a process, leadership or other people."
    ),
    "victim_blaming": (
        "Puts responsibility on the person who was hurt: their choices, not speaking up, "
        "their reaction or tone, or how they should feel."
    ),
    "defending": (
        "Justifies, explains or excuses the act with reasons, assumptions, circumstances or norms."
    ),
    "non_apology": (
        "An apology that is conditional, shifts the wrong onto the other person's feelings, "
        "hides who did it, or is cancelled by 'but'."
    ),
    "minimizing": "Downplays the harm or hurries past it.",
    "apology": "A clear, direct, unconditional apology by the writer.",
    "owns_mistake": "Admits the act was wrong or names its impact on the person.",
    "centers_impacted": "Asks, or defers to, what the hurt person wants or needs.",
    "listens": (
        "Invites the person to say more, says you are listening, thanks them, or commits "
        "to learning from it."
    ),
    "commits_to_change": "Commits to different behaviour in the future.",
    "offers_repair": "Offers or takes a concrete action that repairs this specific harm.",
}

# Problems cost points; victim blaming hurts most, as the article's third example shows.
DEFAULT_SEVERITY: Final[dict[str, Severity]] = {
    "centering_self": "medium",
    "derailing": "medium",
    "victim_blaming": "high",
    "defending": "medium",
    "non_apology": "medium",
    "minimizing": "medium",
}

# Elements earn points. The article's three steps (apologise, center the impacted,
# listen) weigh most; the weights add up to 100.
ELEMENT_WEIGHTS: Final[dict[str, int]] = {
    "apology": 25,
    "centers_impacted": 20,
    "listens": 15,
    "owns_mistake": 15,
    "commits_to_change": 15,
    "offers_repair": 10,
}
SEVERITY_COST: Final[dict[str, int]] = {"low": 8, "medium": 15, "high": 30}

# The article's three steps, in its order.
ARTICLE_STEPS: Final[tuple[ElementId, ...]] = ("apology", "centers_impacted", "listens")

TIPS: Final[dict[str, str]] = {
    "apology": 'Say it plainly and without conditions: "I\'m sorry."',
    "owns_mistake": 'Name what you did, plainly, and that it was wrong: "What I did was wrong."',
    "centers_impacted": 'Ask what they need: "What would you like me to do next?"',
    "listens": 'Invite them to say more, and mean it: "I\'m listening."',
    "commits_to_change": (
        'Say what you will do differently, in concrete terms: "From now on I will ..."'
    ),
    "offers_repair": (
        "If there is a concrete way to undo some of the harm, offer it, and let them decide."
    ),
}


def is_problem(category: str) -> bool:
    return category in PROBLEM_IDS


def is_element(category: str) -> bool:
    return category in ELEMENT_IDS
