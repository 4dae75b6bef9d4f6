"""English irregular verbs: their past and participle forms folded to the base form, for matching.

"What did the mayor give the team?" must find "she gave the team a trophy": the plural fold in
:mod:`qa_bot.text.tokens` cannot relate "give" and "gave", and neither can SQLite's Porter
stemmer on the lexical side. The table is ordinary English grammar (common irregular verbs), not
drawn from any corpus. Forms that are also frequent nouns or adjectives with another sense
("left", "found", "saw", "felt", "bound", "fed", "won", "rose", "shot") are left out: folding them
would match the wrong words more often than it helps.
"""

from __future__ import annotations

# base: its past and participle forms (space-separated)
_FORMS = {
    "arise": "arose arisen", "awake": "awoke awoken", "beat": "beaten",
    "become": "became", "begin": "began begun", "bend": "bent",
    "bite": "bitten", "bleed": "bled", "blow": "blew blown", "break": "broke broken",
    "breed": "bred", "bring": "brought", "build": "built", "burn": "burnt", "buy": "bought",
    "catch": "caught", "choose": "chose chosen", "cling": "clung", "come": "came",
    "creep": "crept", "deal": "dealt", "dig": "dug", "draw": "drew drawn", "dream": "dreamt",
    "drink": "drank drunk", "drive": "drove driven", "eat": "ate eaten", "fall": "fell fallen",
    "fight": "fought", "flee": "fled", "fling": "flung", "fly": "flew flown",
    "forbid": "forbade forbidden", "foresee": "foresaw foreseen",
    "forget": "forgot forgotten", "forgive": "forgave forgiven", "freeze": "froze frozen",
    "get": "got gotten", "give": "gave given", "go": "went gone", "grow": "grew grown",
    "hang": "hung", "hear": "heard", "hide": "hid hidden", "hold": "held", "keep": "kept",
    "kneel": "knelt", "know": "knew known", "lead": "led", "lean": "leant", "leap": "leapt",
    "lend": "lent", "lose": "lost", "make": "made", "mean": "meant", "meet": "met",
    "mislead": "misled", "overcome": "overcame", "overtake": "overtook overtaken",
    "pay": "paid", "prove": "proven", "ride": "rode ridden", "ring": "rang rung", "rise": "risen",
    "run": "ran", "say": "said", "see": "seen", "seek": "sought", "sell": "sold", "send": "sent",
    "shake": "shook shaken", "shine": "shone", "show": "shown", "shrink": "shrank shrunk",
    "sing": "sang sung", "sink": "sank sunk", "sit": "sat", "sleep": "slept", "slide": "slid",
    "speak": "spoke spoken", "spend": "spent", "spin": "spun", "spring": "sprang sprung",
    "stand": "stood", "steal": "stole stolen", "stick": "stuck", "sting": "stung", "stink": "stank",
    "strike": "struck stricken", "strive": "strove striven", "swear": "swore sworn", "sweep": "swept",
    "swim": "swam swum", "swing": "swung", "take": "took taken", "teach": "taught",
    "tear": "tore torn", "tell": "told", "think": "thought", "throw": "threw thrown",
    "undergo": "underwent undergone", "understand": "understood", "undertake": "undertook undertaken",
    "uphold": "upheld", "wake": "woke woken", "wear": "wore worn", "weave": "wove woven",
    "weep": "wept", "withdraw": "withdrew withdrawn", "withhold": "withheld",
    "write": "wrote written",
}

BASE: dict[str, str] = {form: base for base, forms in _FORMS.items() for form in forms.split()}
FORMS: dict[str, tuple[str, ...]] = {base: (base, *forms.split()) for base, forms in _FORMS.items() if forms}


def base_form(word: str) -> str:
    """The base form of an irregular past or participle (``"gave"`` -> ``"give"``); other words unchanged."""
    return BASE.get(word, word)


def all_forms(word: str) -> tuple[str, ...]:
    """The word and, for an irregular verb (in any of its forms), every form of it (``"gave"`` -> give, gave, given)."""
    base = BASE.get(word, word)
    return FORMS.get(base, (word,))
