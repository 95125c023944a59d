"""Drafts constructed for the tests of text layout and revision (shared by both)."""

# A plain-text email hard-wrapped at about 78 columns, with a greeting and a sign-off.
WRAPPED = (
    "Hi Priya,\n\n"
    "I wanted to write properly about what happened in the meeting on Tuesday. I'm\n"
    "sorry. I know the last few months have been hard with a newborn, and I should\n"
    "not have assumed you would not want the project. To be honest I was only\n"
    "trying to help. That was my call to make and it was wrong.\n\n"
    "Best,\nTom\n"
)
