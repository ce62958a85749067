"""The safeguarding check: a curated lexicon that spots harm in any message.

Why a lexicon and not only the classifier: a child's disclosure must get the safety reply
every time, in every conversation state, even when it is misspelt, written in text speak or
tacked onto a question ("what is an sgo also my stepdad hits me"). A trained classifier is
a second net; this module is the first one, and its behaviour is fixed, reviewable and
tested against the phrase sets in tests/safety/.

How it works:
1. `normalise()` folds the ways people type into the words the lexicon knows: repeated
   letters ("dieeee"), leetspeak and masking ("k1ll", "r*pe"), text speak ("kms", "wanna",
   "dont"), dropped g's ("hurtin") and near-misses of distinctive words ("sucidal").
2. spaCy's Matcher runs the positive rules. Each rule is written in a small pattern
   language (see `_compile`) over lowercase word forms; verbs written `@hit` match every
   form of the verb twice over: by our own inflection list (works with a blank pipeline)
   and by LEMMA (catches forms the list misses when the lookup lemmatizer ran).
3. Negative rules ("hit me up", "abuse of process", "emergency protection order") veto
   only the positive matches they overlap, so "it hit me that he hits me" still fires.

Only the rule id and category ever leave this module: never the message text.

Dev tool (engine environment): python -m bot.engine.safeguarding tests/safety
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

CATEGORIES: tuple[str, ...] = (
    # Most urgent first: when several rules fire, the earliest category is reported.
    "immediate_danger", "suicide", "self_harm", "sexual_abuse", "online_abuse",
    "exploitation", "domestic_abuse", "abuse", "neglect", "running_away", "bullying_threats",
)


@dataclass(frozen=True)
class SafeguardingHit:
    """What fired: a category and a rule id (never any of the message's words)."""

    category: str
    rule: str


# ---------------------------------------------------------------------------------------
# Word lists shared by the rules. "$NAME" in a pattern means one token from the list.
# ---------------------------------------------------------------------------------------
MACROS: dict[str, list[str]] = {
    "SELF": ["myself", "meself"],
    "SELF3": ["himself", "herself", "themselves", "themself"],
    "NOT": ["not", "n't", "never", "nt"],
    "TO": ["to", "2"],
    "I": ["i", "we"],
    "ME": ["me", "us"],
    "BE": ["am", "'m", "is", "'s", "are", "'re", "was", "were", "be", "been", "being"],
    "WILL": ["will", "'ll", "would", "'d", "gonna"],
    "PERSON": ["he", "she", "they", "him", "her", "them", "someone", "somebody", "dad",
               "daddy", "mum", "mummy", "mom", "mother", "father", "stepdad", "stepmum",
               "stepmom", "stepfather", "stepmother", "carer", "carers", "uncle", "aunt",
               "auntie", "grandad", "granddad", "grandpa", "nan", "nana", "gran", "grandma",
               "brother", "sister", "cousin", "boyfriend", "girlfriend", "partner",
               "husband", "wife", "ex", "teacher", "man", "men", "woman", "guy", "guys",
               "lad", "lads", "boys", "girls", "people", "parents", "family", "worker",
               "mums", "dads", "friend", "friends", "mate", "mates", "gang"],
    "ABUSER": ["he", "she", "they", "him", "her", "them", "dad", "daddy", "mum", "mummy",
               "mom", "mother", "father", "stepdad", "stepmum", "stepmom", "stepfather",
               "stepmother", "carer", "carers", "uncle", "aunt", "auntie", "grandad",
               "granddad", "grandpa", "brother", "cousin", "boyfriend", "girlfriend",
               "partner", "husband", "wife", "ex", "man", "men", "guy", "guys", "lads",
               "boys", "parents", "gang", "someone", "somebody"],
    "FAMILY": ["mum", "mummy", "mom", "mother", "nan", "nana", "gran", "sister",
               "brother", "family", "dad", "baby", "auntie", "aunt"],
    "PARTNER": ["partner", "husband", "wife", "boyfriend", "girlfriend", "ex", "fiance"],
    "ADULTMALE": ["man", "men", "guy", "guys", "lads", "adult", "adults", "stranger",
                  "strangers", "older", "olders", "grown"],
    "BODY": ["arm", "arms", "wrist", "wrists", "leg", "legs", "thigh", "thighs", "skin",
             "body", "stomach", "belly", "tummy", "hips", "hip"],
    "PRIVATE": ["private", "privates", "bum", "bottom", "chest", "boobs", "breasts",
                "willy", "penis", "vagina", "fanny", "crotch", "genitals", "body",
                "parts", "thigh", "thighs"],
    "WEAPON": ["knife", "knives", "gun", "guns", "blade", "weapon", "machete"],
    "DRUGS": ["drugs", "weed", "crack", "coke", "cocaine", "gear", "heroin", "pills",
              "ket", "spice"],
    "ONLINE": ["online", "snapchat", "snap", "insta", "instagram", "tiktok", "roblox",
               "discord", "fortnite", "whatsapp", "facebook", "internet", "app", "game",
               "gaming", "xbox", "playstation", "chat", "chats", "dm", "dms", "messages"],
    "PICS": ["pics", "pic", "pictures", "picture", "photos", "photo", "videos", "video",
             "selfies", "nudes", "vids"],
    "HOMEPLACE": ["home", "house", "placement", "carers", "flat"],
}

# Verb forms our own inflector gets wrong or cannot guess.
IRREGULAR: dict[str, list[str]] = {
    "be": ["be", "am", "'m", "is", "'s", "are", "'re", "was", "were", "been", "being"],
    "wake": ["wake", "wakes", "woke", "woken", "waking"],
    "bleed": ["bleed", "bleeds", "bled", "bleeding"],
    "strike": ["strike", "strikes", "struck", "striking"],
    "hide": ["hide", "hides", "hid", "hidden", "hiding"],
    "beat": ["beat", "beats", "beating", "beaten", "beatin"],
    "hit": ["hit", "hits", "hitting"], "cut": ["cut", "cuts", "cutting"],
    "hurt": ["hurt", "hurts", "hurting"], "make": ["make", "makes", "made", "making"],
    "take": ["take", "takes", "took", "taken", "taking"],
    "give": ["give", "gives", "gave", "given", "giving"],
    "run": ["run", "runs", "ran", "running"], "throw": ["throw", "throws", "threw",
                                                        "thrown", "throwing", "chuck",
                                                        "chucks", "chucked"],
    "burn": ["burn", "burns", "burned", "burnt", "burning"],
    "do": ["do", "does", "did", "done", "doing"], "come": ["come", "comes", "came",
                                                            "coming"],
    "get": ["get", "gets", "got", "gotten", "getting"], "tell": ["tell", "tells", "told",
                                                                  "telling"],
    "say": ["say", "says", "said", "saying"], "sell": ["sell", "sells", "sold", "selling"],
    "keep": ["keep", "keeps", "kept", "keeping"], "hold": ["hold", "holds", "held",
                                                            "holding"],
    "bite": ["bite", "bites", "bit", "bitten", "biting"],
    "hang": ["hang", "hangs", "hung", "hanged", "hanging"],
    "shoot": ["shoot", "shoots", "shot", "shooting"],
    "leave": ["leave", "leaves", "left", "leaving"], "feel": ["feel", "feels", "felt",
                                                               "feeling"],
    "send": ["send", "sends", "sent", "sending"], "show": ["show", "shows", "showed",
                                                            "shown", "showing"],
    "fight": ["fight", "fights", "fought", "fighting"], "have": ["have", "has", "had",
                                                                "having", "'ve", "got"],
    "stick": ["stick", "sticks", "stuck", "sticking"], "put": ["put", "puts", "putting"],
    "sleep": ["sleep", "sleeps", "slept", "sleeping"], "find": ["find", "finds", "found"],
    "lose": ["lose", "loses", "lost", "losing"], "eat": ["eat", "eats", "ate", "eaten",
                                                          "eating"],
    "go": ["go", "goes", "went", "gone", "going"], "break": ["break", "breaks", "broke",
                                                              "broken", "breaking"],
    "stab": ["stab", "stabs", "stabbed", "stabbing"], "slap": ["slap", "slaps", "slapped",
                                                               "slapping"],
    "grab": ["grab", "grabs", "grabbed", "grabbing"], "rob": ["rob", "robs", "robbed",
                                                               "robbing"],
    "drug": ["drug", "drugs", "drugged", "drugging"], "kick": ["kick", "kicks", "kicked",
                                                               "kicking"],
    "smack": ["smack", "smacks", "smacked", "smacking"], "lock": ["lock", "locks",
                                                                  "locked", "locking"],
    "strip": ["strip", "strips", "stripped", "stripping"],
    "rape": ["rape", "rapes", "raped", "raping"], "meet": ["meet", "meets", "met",
                                                            "meeting"],
}

VOWELS = set("aeiou")


def verb_forms(lemma: str) -> list[str]:
    """Every written form of a verb we match: irregular table, else regular English rules."""
    if lemma in IRREGULAR:
        return IRREGULAR[lemma]
    if len(lemma) < 3 or not lemma.isalpha():
        return [lemma]
    if lemma.endswith("e"):
        return [lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"]
    if lemma.endswith(("s", "sh", "ch", "x")):
        return [lemma, lemma + "es", lemma + "ed", lemma + "ing"]
    if lemma.endswith("y") and lemma[-2] not in VOWELS:
        return [lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"]
    if (len(lemma) <= 4 and lemma[-1] not in VOWELS | set("wxy") and lemma[-2] in VOWELS
            and lemma[-3] not in VOWELS):  # "drag" -> "dragged", "dragging"
        return [lemma, lemma + "s", lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"]
    return [lemma, lemma + "s", lemma + "ed", lemma + "ing"]


# ---------------------------------------------------------------------------------------
# The rules: (rule id, category, pattern). Pattern language, one item per token:
#   word|word2   one of these lowercase words       @hit|kick   any form of these verbs (an
#                                                               @ first makes every word a verb)
#   $NAME        one word from MACROS[NAME]         ~^suicid    regex on the lowercase word
#   _            any one token                      ..N         up to N tokens of anything
#   X?           (suffix) the item is optional      ^ / END     match must start / end the
#                                                               message (punctuation aside)
# ---------------------------------------------------------------------------------------
HARM = "@hit|beat|kick|punch|slap|smack|choke|strangle|batter|whip|burn|bite|push|shove" \
       "|throttle|stab|hurt|abuse|attack|assault|bully|strike|thump|kill|rape|molest|drown" \
       "|shoot|touch|smother|suffocate|starve|grab|bash|belt|cane|scald|pinch|headbutt"
HARM_OTHER = "@hit|beat|kick|punch|slap|smack|choke|strangle|batter|abuse|attack|assault" \
             "|hurt|throttle|stab|rape|strike|bash|push|shove|threaten|headbutt|whip"
THREAT = "@kill|hurt|stab|beat|shoot|attack|rape|murder|batter|burn|strangle|choke"

RULES: list[tuple[str, str, str]] = [
    # -- suicide ------------------------------------------------------------------------
    ("suicide.kill_self", "suicide", "@kill|hang|drown|shoot|suffocate|poison|unalive $SELF"),
    ("suicide.kill_self3", "suicide", "@kill|hang|drown|shoot|suffocate|poison|unalive $SELF3"),
    ("suicide.unalive", "suicide", "~^un-?aliv"),
    ("suicide.word", "suicide", "~^suicid"),
    ("suicide.want_die", "suicide",
     "@want|wish|wan|like|ready|deserve|need|prefer|try $TO ..2 die|dead"),
    ("suicide.want_dye", "suicide", "@want|wish|wan|ready|deserve|need $TO ..1 dye END"),
    ("suicide.want_die2", "suicide", "wanna|wana|wnt|wan die|dead"),
    ("suicide.rather_die", "suicide", "rather|should|better|deserve|just be? die|dead"),
    ("suicide.wish_dead", "suicide", "wish i was|were ..2 dead|die|died"),
    ("suicide.wish_gone", "suicide", "wish i was|were|could|'d ..2 gone|disappear|vanish forever|END"),
    ("suicide.never_born", "suicide", "wish ..3 $NOT ..2 born"),
    ("suicide.feel_like_dying", "suicide", "feel|feeling like dying"),
    ("suicide.better_without", "suicide", "better|happier off? without me|us"),
    ("suicide.better_gone", "suicide", "better|happier off? if i was|were|'m|am gone|dead"),
    ("suicide.better_not_here", "suicide", "better|happier off? if i was|were|'m|am $NOT here|around|alive|born|living"),
    ("suicide.end_life", "suicide", "@end|take my|own|her|his|their ..2 life|lives"),
    ("suicide.point_in_living", "suicide", "point in|of|to ..1 living|life|live|alive|existing|carrying|anymore"),
    ("suicide.end_it", "suicide", "@end it|everything|things all|tonight|now|today|soon|forever|already"),
    ("suicide.end_it_end", "suicide", "@end it|everything|myself END"),
    ("suicide.not_alive", "suicide", "$NOT @want $TO ..2 live|alive|exist|here|living|breathe|wake ..2 anymore|more|longer"),
    ("suicide.not_alive_end", "suicide", "$NOT @want $TO be? live|alive|exist|living END"),
    ("suicide.not_go_on", "suicide", "$NOT @want $TO go|carry|keep on|going ..1 anymore|living|like|END"),
    ("suicide.live_like_this", "suicide", "$NOT @want $TO live|go|carry ..1 like this"),
    ("suicide.no_point", "suicide", "no|any point|reason|purpose $TO|in|for? ..1 live|living|life|alive|existing|carrying|anything|anymore"),
    ("suicide.cant_go_on", "suicide", "ca|can|could $NOT go|carry|keep on|going ..1 anymore|more|living|like"),
    ("suicide.cant_go_on_end", "suicide", "ca|can|could $NOT go|carry|keep on|going END"),
    ("suicide.cant_take", "suicide", "ca|can|could $NOT take|cope|handle|do it|this|life? anymore|more|longer"),
    ("suicide.never_wake", "suicide", "sleep|bed and never|not @wake"),
    ("suicide.never_wake2", "suicide", "@want|wish $TO ..2 never|not @wake"),
    ("suicide.dont_wake", "suicide", "$NOT @want $TO wake up? again|anymore|END"),
    ("suicide.disappear", "suicide", "@want|wish|wanna ..2 @disappear|vanish"),
    ("suicide.jump_off", "suicide", "@jump|@throw|@fall off|from ..2 bridge|building|roof|cliff|window|balcony|tower|flats|multistorey"),
    ("suicide.in_front", "suicide", "@jump|@step|@throw|@walk|@run|@lie $SELF? infront of? ..2 train|trains|car|cars|bus|lorry|traffic|tracks"),
    ("suicide.note", "suicide", "goodbye|suicide|farewell note|notes"),
    ("suicide.feel_like_killing", "suicide", "@feel like @kill|@hurt|@end $SELF|it"),

    # -- self-harm ----------------------------------------------------------------------
    ("self_harm.word", "self_harm", "~^selfharm"),
    ("self_harm.verb_self", "self_harm",
     "@hurt|cut|harm|burn|scratch|stab|starve|punish|hit|bruise|injure|bite|slice|slash|punch|choke|strangle|mutilate|scar|bleed"
     " $SELF|$SELF3"),
    ("self_harm.body", "self_harm",
     "@cut|slit|slash|burn|scratch|bite|slice|scar|carve|stab my|her|his|their|your ..1 $BODY"),
    ("self_harm.sh", "self_harm", "sh|s/h again|urges|urge|relapse|relapsed|scars|cuts|today|tonight|last"),
    ("self_harm.sh2", "self_harm", "relapsed|relapse|urges|urge|did|done|clean|stop|doing|from sh"),
    ("self_harm.again", "self_harm", "@cut|@selfharm|@burn|@scratch again|deeper"),
    ("self_harm.relapse", "self_harm", "relapsed|relapse|relapsing with|into|on ..1 cutting|selfharm|selfharming|sh|harming|burning|scratching"),
    ("self_harm.hide_marks", "self_harm", "@hide|@cover my|her|his|the ..1 cuts|scars|marks|wounds|burns"),
    ("self_harm.cuts_on", "self_harm", "cuts|scars|marks|burns on my|her|his ..1 $BODY"),
    ("self_harm.bleed", "self_harm", "till|until|til|untill i|they|it|we @bleed"),
    ("self_harm.make_sick", "self_harm", "@make $SELF @bleed|sick|vomit|throw|starve"),
    ("self_harm.head_wall", "self_harm", "@bang|hit|smash|punch my|her|his head|fist|fists on|against|into the? wall|walls|floor|door"),
    ("self_harm.want_cut", "self_harm", "@want|@need|urge|urges $TO @cut|@selfharm|@burn END"),
    ("self_harm.overdose", "self_harm", "~^overdos"),
    ("self_harm.pills", "self_harm",
     "@take|@swallow all|loads|lots|load|handful|bunch|too|whole ..2 pills|tablets|paracetamol|painkillers|meds|medication"),

    # -- sexual abuse -------------------------------------------------------------------
    ("sexual_abuse.touch_me", "sexual_abuse", "@touch|@grope|@fondle|@molest me|us"),
    ("sexual_abuse.feel_up", "sexual_abuse", "@feel|@touch me|us up"),
    ("sexual_abuse.touch_private", "sexual_abuse", "@touch|@grope|@fondle|@rub|@feel my|her|his|our ..1 private|privates|bum|boobs|breasts|willy|penis|vagina|fanny|crotch|genitals|parts|body|chest"),
    ("sexual_abuse.inappropriate", "sexual_abuse", "@touch ..3 inappropriately|inappropriate|wrong|weird"),
    ("sexual_abuse.make_touch", "sexual_abuse", "@make|@force|@want|@ask me|us $TO? @touch|suck|undress|strip"),
    ("sexual_abuse.rape", "sexual_abuse", "@rape|rapist|rapists"),
    ("sexual_abuse.sex_with", "sexual_abuse", "sex with me|him|her|his|them|their|men|man|older|adults|my|a"),
    ("sexual_abuse.make_sex", "sexual_abuse", "@make|@force|@pressure|@want|@pay|@ask|@push|@trick me|us ..3 sex|sexual|naked|undress|strip"),
    ("sexual_abuse.sexual", "sexual_abuse", "sexual abuse|abused|assault|assaulted|things|stuff|messages|pictures|photos|videos|acts|touching|exploitation|exploited|harassment|harassed|texts|comments|games"),
    ("sexual_abuse.sexually", "sexual_abuse", "sexually"),
    ("sexual_abuse.molest", "sexual_abuse", "~^molest"),
    ("sexual_abuse.assault", "sexual_abuse", "~^assault"),
    ("sexual_abuse.porn", "sexual_abuse", "~^porn"),
    ("sexual_abuse.our_secret", "sexual_abuse", "our ..1 secret|secrets"),
    ("sexual_abuse.little_secret", "sexual_abuse", "little|dirty|special secret|secrets"),
    ("sexual_abuse.not_tell", "sexual_abuse", "@say|@tell|@warn|@make|@threaten|@promise me|us? $NOT|to $TO|not @tell|say"),
    ("sexual_abuse.keep_secret", "sexual_abuse", "@keep|@make it|this|us|our|things|them|what ..1 secret|secrets|quiet"),
    ("sexual_abuse.do_things", "sexual_abuse", "@do|@make things|stuff|something to me|us"),
    ("sexual_abuse.do_things_dislike", "sexual_abuse", "@make|@force|@want me|us $TO? do|touch|watch ..1 stuff|things|something|it ..2 i|that do|does|did? $NOT like|want"),
    ("sexual_abuse.in_bed", "sexual_abuse", "$PERSON ..2 @come|@get|@climb|@crawl into|in my bed"),
    ("sexual_abuse.undress", "sexual_abuse", "@make|@force|@want|@tell me|us $TO? undress|strip|naked"),

    # -- online abuse ---------------------------------------------------------------------
    ("online_abuse.nudes", "online_abuse", "~^nudes?$"),
    ("online_abuse.naked", "online_abuse", "naked|topless|undressed|nude"),
    ("online_abuse.pics_of_me", "online_abuse", "$PICS of me|my|us ..1 body|naked|without|underwear|bra|pants|bikini|undressed|END"),
    ("online_abuse.ask_pics", "online_abuse", "@keep|@start|always|@be @ask|@beg|@pressure me? for|to ..1 send? ..1 $PICS"),
    ("online_abuse.man_asks_pics", "online_abuse", "man|men|guy|guys|stranger|strangers|bloke|adult|someone|somebody|boy|boys ..4 @ask|@want|@beg|@pressure me|us? for|to ..1 send? ..1 $PICS"),
    ("online_abuse.threat_share", "online_abuse", "@threaten $TO? @share|@post|@leak|@send|@show|@spread|@put"),
    ("online_abuse.will_share", "online_abuse", "they|he|she|someone|somebody|people $WILL|going|gonna $TO? @share|@post|@leak|@send|@show|@spread|@put ..3 $PICS"),
    ("online_abuse.unless", "online_abuse", "unless i pay|send|give"),
    ("online_abuse.blackmail", "online_abuse", "~^blackmail"),
    ("online_abuse.sextort", "online_abuse", "~^sextort"),
    ("online_abuse.online_secret", "online_abuse", "online|snapchat|snap|insta|instagram|tiktok|roblox|discord|fortnite|whatsapp|facebook|internet|gaming|xbox|playstation|minecraft ..6 secret|secrets|meet|meetup|naked|nudes|undress|webcam"),
    ("online_abuse.chat_secret", "online_abuse", "$ONLINE ..4 secret|secrets|naked|nudes"),
    ("online_abuse.meet_secret", "online_abuse", "meet ..5 secret|secretly"),
    ("online_abuse.meet_dont_tell", "online_abuse", "meet ..3 $NOT tell"),
    ("online_abuse.grown_man", "online_abuse", "grown|older man|men|adult|adults|guy|bloke|woman ..4 online|talking|messaging|messages|chatting|wants|asked|asks|keeps"),
    ("online_abuse.webcam", "online_abuse", "webcam|camera|cam ..3 undress|naked|strip|touch|show"),

    # -- exploitation ------------------------------------------------------------------------
    ("exploitation.county_lines", "exploitation", "county|countys lines|line"),
    ("exploitation.countylines", "exploitation", "countylines"),
    ("exploitation.groomed", "exploitation", "~^groom(ed|ing|er|ers|s)?$"),
    ("exploitation.traffick", "exploitation", "~^traff?ick"),
    ("exploitation.exploit", "exploitation", "~^exploit"),
    ("exploitation.drugs", "exploitation", "@sell|@deal|@carry|@deliver|@run|@move|@hold|@stash|@hide|@push|@drop $DRUGS"),
    ("exploitation.for_them", "exploitation", "@hold|@carry|@keep|@sell|@deliver|@stash|@hide|@move|@drop|@run ..2 stuff|things|packages|parcels|bags|drugs|something|package|parcel for them|him|olders|gang"),
    ("exploitation.sell_for", "exploitation", "@sell|@deal|@steal|@shoplift for them|him|olders|gang|dealers|dealer"),
    ("exploitation.make_do", "exploitation", "@make|@force|@send me|us $TO? @sell|@deal|@steal|@deliver|@carry|@rob|@shoplift|@hold"),
    ("exploitation.make_go", "exploitation", "@make|@force|@send me|us $TO? go|travel|@go ..3 towns|town|cities|city|places|trap|parties|party|men|man"),
    ("exploitation.owe", "exploitation", "@owe them|him|her|the|a ..1 money|debt|gang|dealer|olders|lot"),
    ("exploitation.owe_them", "exploitation", "@owe them|him"),
    ("exploitation.work_off", "exploitation", "@work|@pay it|the|this ..1 off"),
    ("exploitation.give_drugs", "exploitation", "@give|@buy|@bring me|us ..1 $DRUGS|alcohol|vodka|booze|vapes|vape|cigs|fags"),
    ("exploitation.gifts", "exploitation", "man|men|guy|guys|lads|stranger|strangers|bloke ..5 @give|@buy|@offer me|us ..2 lifts|lift|presents|gifts|money|phone|trainers|clothes|cash"),
    ("exploitation.older", "exploitation", "older man|men|guy|guys|lads|boys|blokes ..6 @make|@give|@force|@want|@pay|party|parties|drugs|@pick"),
    ("exploitation.gang_makes", "exploitation", "gang|gangs|olders|dealer|dealers ..4 @make|@force|@threaten|@recruit|@want|@use|@groom|after"),
    ("exploitation.used_to", "exploitation", "@be|@get used $TO @run|@sell|@deal|@carry|@deliver|@steal|@hold"),
    ("exploitation.go_with_men", "exploitation", "@go|@sleep with men|man|older|guys|strangers"),
    ("exploitation.pay_me", "exploitation", "@pay|@give me|us|her|him ..3 $TO ..3 sex|sleep|touch|undress"),
    ("exploitation.or_hurt", "exploitation", "or|otherwise|else they|he|she $WILL @hurt|@kill|@beat|@stab|@burn|@attack ..2 my|me|us|family|mum|nan"),

    # -- domestic abuse ---------------------------------------------------------------------
    ("domestic_abuse.hit_family", "domestic_abuse", f"{HARM_OTHER} my ..1 $FAMILY"),
    ("domestic_abuse.hit_her", "domestic_abuse", f"he|partner|dad|stepdad|boyfriend|husband ..3 {HARM_OTHER} her|him"),
    ("domestic_abuse.partner_hits", "domestic_abuse", f"my $PARTNER ..3 {HARM} me|us|my"),
    ("domestic_abuse.word", "domestic_abuse", "domestic|domestics violence|abuse|abusive|incident|incidents|fight|fights"),
    ("domestic_abuse.dv", "domestic_abuse", "dv"),
    ("domestic_abuse.violent", "domestic_abuse", "violent|violence"),
    ("domestic_abuse.scared_partner", "domestic_abuse", "scared|afraid|frightened|terrified|petrified|fear of my $PARTNER"),

    # -- abuse (physical / emotional) --------------------------------------------------------
    ("abuse.harm_me", "abuse", f"{HARM} me|us"),
    ("abuse.passive", "abuse", "$BE|@get|@keep ..1 hit|beaten|kicked|punched|slapped|smacked|hurt|abused|attacked|battered|whipped|strangled|choked|burnt|burned|bitten|locked|starved|touched|molested|raped|assaulted|threatened ..2 at|by|in|every|all|again|when|if|because|cos|END"),
    ("abuse.beaten_up", "abuse", "@beat|@batter|@bash|@jump me|us|him|her|them? up"),
    ("abuse.jumped_me", "abuse", "@jump me|us"),
    ("abuse.word", "abuse", "~^abus(e|ed|es|ing|ive|er|ers)$"),
    ("abuse.scared_of", "abuse", "scared|afraid|frightened|terrified|petrified|fear|feared|scare|scares of|from ..2 $ABUSER"),
    ("abuse.scared_what", "abuse", "scared|afraid|frightened|terrified|petrified|worried of|about what $ABUSER"),
    ("abuse.scared_to_home", "abuse", "scared|afraid|frightened|terrified|petrified|daren't|dare|too $TO? go|@get|@be|@stay|@return|@come ..1 home|placement|house|carers"),
    ("abuse.cant_go_home", "abuse", "ca|can|could $NOT go|@return ..1 home|placement"),
    ("abuse.not_safe_home", "abuse", "$NOT safe ..2 home|house|placement|carers|him|her|them"),
    ("abuse.threat", "bullying_threats", f"$WILL|going|gon|gonna|@try|@want $TO|na|be? {THREAT} me|us|my"),
    ("abuse.throw_at", "abuse", "@throw|@chuck|@hurl ..3 at me|us|my|her"),
    ("abuse.grab_by", "abuse", "@grab|@drag|@pull|@hold|@lift|@pick me|us ..1 by|up by my|the ..1 neck|throat|hair|arm|arms|collar|ear|ears"),
    ("abuse.lock", "abuse", "@lock|@shut me|us in|out|inside|outside|away"),
    ("abuse.bruise", "abuse", "~^bruis"),
    ("abuse.calls_me", "abuse", "@call|@tell|@say me|us|i|im|'m ..2 worthless|useless|stupid|waste|mistake|nothing|unwanted|rubbish|disgusting|ugly|fat|vile|pathetic|retard|scum|unlovable"),
    ("abuse.no_one_loves", "abuse", "nobody|noone ..2 @love|@want|@care ..2 me|us"),

    # -- neglect -------------------------------------------------------------------------------
    ("neglect.no_food", "neglect", "no food|grub|meals"),
    ("neglect.not_any_food", "neglect", "$NOT ..2 any food|grub|meals"),
    ("neglect.nothing_to_eat", "neglect", "nothing $TO eat"),
    ("neglect.not_anything_to_eat", "neglect", "$NOT ..2 anything $TO eat"),
    ("neglect.not_eaten", "neglect", "$NOT @eat|ate|eaten ..2 in|for|since|all|today|days|yesterday|properly"),
    ("neglect.not_had_food", "neglect", "$NOT @have|had ..1 any? food|meal|meals|dinner|breakfast|lunch|tea ..2 in|for|since|all|today|days|yesterday"),
    ("neglect.not_fed", "neglect", "$NOT @be? fed"),
    ("neglect.nobody_looks_after", "neglect", "nobody|noone @look|@care after|for ..1 me|us"),
    ("neglect.nobody_feeds", "neglect", "nobody|noone @feed|@wash|@clean|@cook ..2 me|us|my|for"),
    ("neglect.left_alone", "neglect", "@leave me|us? alone|on|by ..2 for|all|overnight|days|night|nights|weekend|weekends|week|ages|every|hours|again"),
    ("neglect.not_home", "neglect", "$NOT @be|@come home ..1 for|in|since|all|days|night|ages|weekend"),
    ("neglect.never_home", "neglect", "never home|here ..1 and|so|because|,|END"),
    ("neglect.drunk", "neglect", "always|too|so|really|very|constantly|permanently|every|again drunk|wasted|stoned|mashed"),
    ("neglect.drunk2", "neglect", "$PERSON $BE|@get ..1 drunk|stoned|wasted|mashed"),
    ("neglect.high_on", "neglect", "high on drugs|something|weed|crack|pills"),
    ("neglect.passed_out", "neglect", "passed|passes|pass out"),
    ("neglect.word", "neglect", "~^neglect"),

    # -- running away / nowhere safe -----------------------------------------------------------
    ("running_away.run_away", "running_away", "@run|@runaway away|off ..1 from|tonight|again|today|now|and|because|cos|coz|but|to|,|.|END"),
    ("running_away.runaway", "running_away", "runaway|runaways|ranaway"),
    ("running_away.run_away_i", "running_away", "i|'ve|'m|want|going|to|'ll|might|will|na|gunna @run|run away"),
    ("running_away.homeless", "running_away", "~^(homeless|couchsurf|sofasurf)"),
    ("running_away.sleep_rough", "running_away", "@sleep|@kip ..1 rough|outside|outdoors|in|on ..2 street|streets|park|bench|car|stairwell|doorway|station|woods|garage"),
    ("running_away.on_streets", "running_away", "@live|@be|@end on the streets|street END"),
    ("running_away.rough_sleeping", "running_away", "rough sleeping|sleeper|sleepers"),
    ("running_away.sleeping_rough", "running_away", "@sleep|@kip|@live rough"),
    ("running_away.nowhere", "running_away", "nowhere|noplace ..1 $TO|safe|else|left ..1 go|sleep|stay|live|tonight|safe|END"),
    ("running_away.got_nowhere", "running_away", "@have|got|'ve|'m|am nowhere ..2 tonight|END"),
    ("running_away.not_anywhere", "running_away", "$NOT @have|@get|got? ..1 anywhere $TO|safe ..1 go|sleep|stay|live"),
    ("running_away.no_place", "running_away", "no place|bed|roof|where ..1 $TO|for|tonight ..1 sleep|stay|live|go|tonight"),
    ("running_away.kicked_me_out", "running_away", "@kick|@chuck|@boot|@turf|@throw me|us ..1 out"),
    ("running_away.kicked_out", "running_away", "@be|@get|been|'ve|'m kicked|thrown|chucked|booted|turfed out"),
    ("running_away.missing", "running_away", "@go|@report|went|gone missing"),
    ("running_away.missing_from", "running_away", "missing from ..1 home|placement|care|school|house|foster|carers"),

    # -- immediate danger -------------------------------------------------------------------------
    ("immediate_danger.help_me_only", "immediate_danger", "^ please|plz|someone|somebody|anyone? help me|us please|now|plz? END"),
    ("immediate_danger.need_help_now", "immediate_danger", "@need|@get help now|quick|quickly|fast|asap|urgently|immediately"),
    ("immediate_danger.danger", "immediate_danger", "in|am|'m|are|is|be|being|put danger"),
    ("immediate_danger.unsafe", "immediate_danger", "unsafe"),
    ("immediate_danger.not_safe", "immediate_danger", "$NOT @feel? so|very|really|that|even|quite? safe"),
    ("immediate_danger.weapon", "immediate_danger", "$PERSON|'s|someone|somebody|man|has|got|'ve ..3 @have|@hold|@pull|@carry|@wave|@point|@bring|@grab|@get|with|out|@threaten a|his|her|their|the|my? $WEAPON"),
    ("immediate_danger.weapon2", "immediate_danger", "$WEAPON $TO|at|against my|me|us|her|his"),
    ("immediate_danger.following", "immediate_danger", "@follow|@stalk|@chase me|us ..1 home|now|everywhere|and|around|about|,|.|END"),
    ("immediate_danger.following2", "immediate_danger", "$BE|@keep|been|keeps @follow|@stalk|@chase me|us"),
    ("immediate_danger.coming_for", "immediate_danger", "@come after|for me|us"),
    ("immediate_danger.after_me", "immediate_danger", "$BE after me|us"),
    ("immediate_danger.coming_get", "immediate_danger", "@come|@go|gonna|going $TO? @get|@find|@hurt|@kill me|us"),
    ("immediate_danger.police", "immediate_danger", "@call|@ring|@phone|@get|@need|@want|@send the? police|cops|999|ambulance"),
    ("immediate_danger.ambulance", "immediate_danger", "ambulance|999|112"),
    ("immediate_danger.emergency", "immediate_danger", "emergency|emergancy|emergeny"),
    ("immediate_danger.cant_wake", "immediate_danger", "ca|can|cannot|could $NOT @wake|rouse him|her|them|my|mum|dad|mummy|daddy|baby"),
    ("immediate_danger.wont_wake", "immediate_danger", "$PERSON|baby wo|will|would $NOT @wake"),
    ("immediate_danger.break_in", "immediate_danger", "@break|@kick|@smash|@force in|into|open|through ..1 my|our|door|window|house|room|flat|home|END"),
    ("immediate_danger.banging_door", "immediate_danger", "@bang|@kick|@hammer on|at|down my|the|our door|window"),
    ("immediate_danger.outside", "immediate_danger", "he|she|they|someone|somebody|$PERSON $BE|@stand|@wait|@sit|@hang ..1 outside ..2 my|our|the ..1 door|window|house|room|flat|home"),
    ("immediate_danger.not_breathing", "immediate_danger", "$NOT|stopped breathing|breathe"),
    ("immediate_danger.bleeding", "immediate_danger", "@bleed ..2 lot|loads|badly|everywhere|stop|wo|heavily|bad"),

    # -- bullying and threats ------------------------------------------------------------------------
    ("bullying_threats.kill_yourself", "bullying_threats", "@kill|@hang|@unalive yourself|urself|yourselves|yaself"),
    ("bullying_threats.end_your_life", "bullying_threats", "@end|@take your|ur ..1 life"),
    ("bullying_threats.bullied_me", "bullying_threats", "i|'m|me|we ..2 ~^(cyber)?bull(ied|ying|y)$"),
    ("bullying_threats.bully_me", "bullying_threats", "@bully|@cyberbully|@torment|@harass|@troll me|us"),
    ("bullying_threats.pick_on", "bullying_threats", "@pick|@gang up? on me|us"),
    ("bullying_threats.cyberbullying", "bullying_threats", "~^cyberbull"),
    ("bullying_threats.threaten_word", "bullying_threats", "~^threat(en|ened|ening|ens|s)$ me|us|my|to|that|from|online|again|END"),
    ("bullying_threats.said_will", "bullying_threats", "@say|@tell|@threaten|@text|@message|@post|@warn ..4 $WILL|going|gonna $TO? ..1 @kill|@hurt|@stab|@beat|@batter|@attack|@shoot|@rape|@burn"),
]

# Negative rules: a positive match overlapped by one of these does not count.
NEGATIVE: list[tuple[str, str]] = [
    ("neg.hit_me_up", "@hit me up|back"),
    ("neg.hit_me_with", "@hit me with ..2 answer|answers|facts|info|information|details|news|question|questions|link|links|truth|gossip|joke|jokes|it|that|this|date|dates|time|times|details|number|deets|review"),
    ("neg.animal", "dog|dogs|cat|cats|puppy|kitten|hamster|horse|pony|rabbit|snake|spider|bee|wasp|insect|mosquito|parrot|budgie|guinea|pig|goat|gerbil ..2 @bite|@scratch|@sting|@kick|@attack|@chase me|us"),
    ("neg.life_story", "life|living story|stories|appreciation|skills|insurance|wage|costs"),
    ("neg.it_hit_me", "it|that|this|reality|which|realisation|realization @hit|@touch|@hurt|@kill|@strike|@kick me|us"),
    ("neg.hits_different", "@hit different|differently|home|hard"),
    ("neg.abuse_of", "~^abus(e|ed|es|ing)$ of|their|his|her|its|the|my|your|a|our power|process|position|powers|authority|privilege|system|office|discretion"),
    ("neg.substance", "alcohol|substance|drug|drugs|solvent abuse|misuse"),
    ("neg.emergency_terms", "emergency|emergancy|emergeny|emergencey|emergincy protection|duty|department|services|contact|contacts|number|numbers|sleepover|sleepovers|placement|placements|foster|fostering|respite|order|orders|plan|fund|funding|grant|payment|dentist|card|team|accommodation|housing|ward|room|exit|button|care|carer|carers|vet|appointment|epo"),
    ("neg.emergency_epo", "in an? emergency ..2 who|what|how|where|can|should|number|contact"),
    ("neg.run_from_question", "@run|@runaway away|off from|with the|a|that|this|every ..1 question|questions|topic|subject|problem|problems|conversation|truth|prize|trophy|title|game|match|competition|win|lead|award|point|points|show|idea|answer|ball"),
    ("neg.run_away_with", "@run|@runaway away|off with"),
    ("neg.kicked_out_school", "@kick|@throw|@chuck|@boot|@put|@get|@be ..1 out of|from the? class|lesson|lessons|school|college|group|game|team|club|shop|classroom|library|cinema|pool|match|assembly|chat|groupchat"),
    ("neg.missing_thing", "my|the|his|her|our|a phone|keys|bag|money|stuff|wallet|purse|homework|book|cat|dog|charger|appendix|page|paperwork|form|letter|shoe|shoes|coat|bike|card|passport|certificate $BE? @go|@be|@get missing"),
    ("neg.miss_out", "@go|@be missing out|school|lessons|class|family|contact"),
    ("neg.keep_it_secret_admin", "@keep ..1 review|reviews|record|records|file|files|information|data|details|info|address|plan|notes|stuff ..1 secret|private|confidential"),
    ("neg.touch_base", "@touch base|wood|up|on"),
    ("neg.touched_story", "film|story|book|speech|letter|song|kindness|gesture|card|present|words|it|that|this|which @touch me|us"),
    ("neg.killing_time", "@kill time|boredom|germs|bugs|spiders|spider|zombies|birds|plants|mood|vibe|buzz|off|some|an|two"),
    ("neg.killed_it", "@kill it|that|this ..1 game|test|exam|show|look|performance|interview|match|END"),
    ("neg.thing_killing_me", "review|reviews|homework|school|exam|exams|feet|foot|legs|back|head|maths|teacher|lessons|lesson|bot|wifi|chat|waiting|queue|traffic|weather|heat|music|joke|jokes|it|this|that|meeting|meetings|college|work|job|boredom|class|revision|coursework|period|cramps|tooth|stomach|belly ..3 @kill|@murder|@destroy me|us"),
    ("neg.kill_me_lol", "@kill|@murder me ..2 lol|haha|lmao|jk|joking|hahaha|xd"),
    ("neg.hurt_sport", "@hurt|@bruise|@cut|@burn|@bang|@hit|@break|@twist|@sprain my|her|his knee|ankle|foot|feet|toe|toes|finger|fingers|thumb|hand|elbow|shin|knees|ankles|hair|fringe|nails|toast|tongue|lip|tea|dinner|pizza"),
    ("neg.hurt_feelings", "@hurt my|her|his|your|their feelings"),
    ("neg.cut_down", "@cut down|back|out|off|up|through|short|in|across|corners|ties|the|my hair|a|it|paper|screen|costs|the"),
    ("neg.die_laughing", "@die|died|dying|dead ..1 laughing|of|for|tired|boring|funny|laugh|embarrassment|battery"),
    ("neg.die_hair", "@die|dye|dyed ..1 hair|fringe|clothes|jeans|pink|blue|red|green|purple|black|blonde|brown"),
    ("neg.phone_dead", "phone|battery|laptop|tablet|ipad|console|xbox|charger|plant|plants|fish|hamster|goldfish|game $BE? @die|dead"),
    ("neg.beat_score", "@beat|@get|@be|@lose beat|beaten|bet? ..1 at|in|on|by ..1 fifa|game|games|chess|cards|football|pool|darts|penalties|saturday|sunday|match|race|monopoly|uno|tennis|quiz|rugby|netball"),
    ("neg.beat_number", "@beat|beaten|beat|bet|@lose ..2 ~^\\d+$"),
    ("neg.beat_at_game", "@beat ..3 at|in fifa|games|game|chess|cards|football|pool|darts|monopoly|uno|tennis|swimming|running|maths|race|races|arm|quiz|mario"),
    ("neg.beat_record", "@beat my|his|her|the|our|their|a ..1 record|time|score|personal|best|pb|high"),
    ("neg.pick_up", "@pick me|us up|from|at"),
    ("neg.come_get_school", "@come|@go $TO? @get|@pick me|us from|at|after|later|tomorrow|up|on|when|for|early|in"),
    ("neg.coming_for_time", "@come for me|us at|after|later|tomorrow|today|on|in|when"),
    ("neg.get_me_a", "@get|@grab|@shoot|@send|@drop me|us a|an|some|one ..1 text|message|email|line|dm|drink|snack|coffee|tea|burger"),
    ("neg.following_social", "@follow me|us on|back|online|insta|instagram|tiktok|twitter|snapchat"),
    ("neg.push_me_to", "@push|@pressure|@make me|us $TO do|go|try|work|revise|study|tidy|clean|eat|read|finish|bed|school|college"),
    ("neg.make_do_homework", "@make|@want|@ask|@get me|us $TO? do|go ..2 homework|chores|jobs|washing|dishes|revision|reading|job|bed|school|coursework|room|cleaning|hoovering|cooking|tea|shopping|exercise|sport|football|swimming"),
    ("neg.ran_for_bus", "@run for|to|down|up|around|round|after the|a|my ..1 bus|train|park|shop|shops|school|race|club|team"),
    ("neg.murder_food", "@murder|@kill|@destroy|demolish|@smash a|an|some|the|this|that burger|pizza|chips|pint|coffee|kebab|curry|sandwich|cake|tea|drink|brew"),
    ("neg.shot_photo", "@shoot|@take|@get|@have a|some|the ..1 shot|shots|photo|photos|video|goal|hoops|basketball|netball|film|scene"),
    ("neg.gun_game", "game|games|film|films|movie|movies|tv|show|book|story|fortnite|cod|gta|nerf|water|toy|laser|paintball|prop|props|costume ..4 $WEAPON"),
    ("neg.knife_food", "$WEAPON ..4 food|tech|cooking|cook|kitchen|baking|lesson|lessons|class|classes|fork|forks|cutlery|vegetables|veg|butter|bread|safety|crime|awareness|talk|amnesty"),
    ("neg.violent_media", "violent|violence ..1 game|games|film|films|movie|movies|video|videos|tv|show|shows|book|books|content|scenes"),
    ("neg.no_point_asking", "no|any point|reason ..1 in|to|for ..1 asking|asked|ask|going|telling|doing|trying|complaining|coming|waiting|reviews|review|meeting|meetings|it|that|this"),
    ("neg.owe_social", "@owe them|him|her|you|me|us ..1 thanks|thank|apology|favour|visit|call|text|message|letter|reply|answer|explanation|card"),
    ("neg.help_question", "^ please? help|can|could me ..1 with|understand|find|know|get|out|choose|pick|learn|work|sort|ask|to|write|fill|plan|figure|apply|access|make|book|see|talk|contact|check|read|prepare|decide|remember"),
    ("neg.hit_send", "@hit send|enter|play|pause|the|a|like|subscribe|reply|refresh"),
    ("neg.play_fight", "play|pretend|playfight|wrestle|wrestling|mess|messing|joke|joking|jokes ..2 @hit|@kick|@punch|fight|fighting"),
    ("neg.want_live_with", "$NOT? @want $TO live|living|stay ..1 with|in|on|near|at|closer|somewhere|abroad|here|there|my|a|this|that|the|nearer|together|alone|independently"),
    ("neg.go_on_trip", "go|going on holiday|holidays|a|the|trip|trips|camp|school"),
    ("neg.cant_go_back_school", "ca|can|cannot $NOT? go|@get back? to|into? school|college|class|sleep|work|bed|uni"),
    ("neg.grown_up", "grown|older ..1 ups|up|brother|sister|cousin|siblings|sibling|son|daughter"),
    ("neg.no_food_allowed", "no|not|any food|eating|drink|drinks|eat ..1 allowed|upstairs|bedroom|rooms|during|after"),
    ("neg.passed_out_parade", "passed|pass|passes|passing out parade|ceremony|ceremonies|course|of|from|with|test|exam"),
    ("neg.danger_words", "danger|dangers of|zone|signs|sign|money|list|warning|mouse"),
    ("neg.kick_ball", "@kick|@hit|@throw|@catch|@punch the|a|my|his|her ball|balls|bag|bags|punchbag|football|fence|wall|habit|bucket|can"),
]

# Positive rules the negative rules must never veto: unambiguous on their own.
STRONG: frozenset[str] = frozenset({
    "suicide.kill_self", "suicide.kill_self3", "suicide.unalive", "suicide.word", "self_harm.word",
    "self_harm.verb_self", "self_harm.overdose", "sexual_abuse.rape", "sexual_abuse.molest",
    "sexual_abuse.porn", "sexual_abuse.sexually", "online_abuse.nudes",
    "online_abuse.blackmail", "online_abuse.sextort", "exploitation.county_lines",
    "exploitation.countylines", "exploitation.traffick", "bullying_threats.kill_yourself",
})


# ---------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------
TEXT_SPEAK: dict[str, str] = {
    "kms": "kill myself", "kys": "kill yourself", "kmsl": "kill myself", "wanna": "want to",
    "wana": "want to", "wnt": "want", "gonna": "going to", "gunna": "going to",
    "gona": "going to", "gotta": "got to", "hafta": "have to", "tryna": "trying to",
    "outta": "out of", "u": "you", "ya": "you", "ur": "your", "r": "are", "im": "i'm",
    "ive": "i've", "dont": "don't", "cant": "can't", "wont": "won't", "didnt": "didn't",
    "doesnt": "doesn't", "isnt": "isn't", "wasnt": "wasn't", "werent": "weren't",
    "havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't", "wouldnt": "wouldn't",
    "couldnt": "couldn't", "shouldnt": "shouldn't", "aint": "ain't", "hes": "he's",
    "shes": "she's", "theyre": "they're", "theyll": "they'll", "theyve": "they've",
    "youre": "you're", "thats": "that's", "whats": "what's", "theres": "there's",
    "id": "i'd", "ill": "i'll", "2nite": "tonight", "2night": "tonight", "tonite": "tonight",
    "nite": "night", "2day": "today", "2moro": "tomorrow", "2morrow": "tomorrow",
    "tmrw": "tomorrow", "tmr": "tomorrow", "b4": "before", "bc": "because", "bcos": "because",
    "cuz": "because", "coz": "because", "cos": "because", "pls": "please", "plz": "please",
    "ppl": "people", "wiv": "with", "wid": "with", "bf": "boyfriend", "gf": "girlfriend",
    "nd": "and", "n": "and", "rn": "right now", "noone": "nobody", "no1": "nobody",
    "some1": "someone", "sum1": "someone", "any1": "anyone", "every1": "everyone",
    "ded": "dead", "mysef": "myself", "meself": "myself", "mself": "myself",
    "luv": "love", "ma": "my", "mi": "my", "wen": "when", "wot": "what", "wat": "what",
    "hme": "home", "ome": "home", "skool": "school", "dnt": "don't", "cnt": "can't",
    "hv": "have", "b": "be", "h8": "hate", "l8r": "later", "gr8": "great", "dun": "done",
    "feelin": "feeling", "nothin": "nothing", "nuthin": "nothing", "nuffin": "nothing",
    "nuthing": "nothing", "somethin": "something", "nuttin": "nothing",
    "suttin": "something", "summat": "something", "owt": "anything", "nowt": "nothing",
    "mam": "mum", "mom": "mum", "mommy": "mummy", "mummys": "mummy's",
}
TEXT_SPEAK.pop("ill")  # "ill" -> "i'll" would mangle "i feel ill"

JOINS: list[tuple[str, str]] = [
    (r"\bself[\s\-_]*(harm\w*)", r"self\1"),
    (r"\bs[\s\-]?h\b(?=\s+(?:again|urges?|relapse|scars|cuts))", "selfharm"),
    (r"\bstep[\s\-]+(dad|mum|mom|father|mother|brother|sister|parent)", r"step\1"),
    (r"\b(my|him|her|your|them|our|it)\s+(self|selves)\b", r"\1\2"),
    (r"\bno[\s\-]+(one|body|where)\b", r"no\1"),
    (r"\bno\s+ones?\b", "nobody"),
    (r"\bnoone\b", "nobody"),
    (r"\bany\s+where\b", "anywhere"),
    (r"\bcounty\s*-\s*lines?\b", "county lines"),
    (r"\bun[\s\-]+aliv", "unaliv"),
    (r"\bsofa[\s\-]+surf", "sofasurf"),
    (r"\bcouch[\s\-]+surf", "couchsurf"),
    (r"\bcyber[\s\-]+bull", "cyberbull"),
    (r"\bin\s+front\b", "infront"),
]

LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                      "@": "a", "$": "s", "!": "i", "|": "i", "8": "b"})
# Real words one edit away from a word we watch for: never "correct" these.
NOT_TYPOS: frozenset[str] = frozenset({
    "amused", "amusing", "couched", "toughed", "cruises", "overdone", "bullies", "bellied",
    "sullied", "sitting", "fitting", "hunting", "putting", "gutting", "jutting", "rutting",
    "hurling", "burning", "turning", "beating", "seating", "heating", "bleating", "touches",
    "herself", "himself", "itself", "myself", "yourself", "grooves", "grooved", "neglects",
    "strangles", "starring", "staring", "stabbing", "slapping", "flapping", "clapping",
    "wrapped", "rapped", "rapper", "raper", "groomer", "exploded", "explored", "explorer",
    "threated", "treated", "treats", "shaved", "saved", "homeland", "homeless",
})
FUZZY_TARGETS: frozenset[str] = frozenset({
    "suicide", "suicidal", "myself", "yourself", "himself", "herself", "themselves",
    "overdose", "overdosed", "overdosing", "selfharm", "selfharming", "abused", "abusing",
    "abusive", "molested", "groomed", "grooming", "exploited", "exploitation", "trafficked",
    "sexually", "strangled", "strangles", "strangling", "threatened", "threatening",
    "bruises", "homeless", "nowhere", "touched", "touching", "neglected", "blackmailing",
    "blackmail", "cyberbullied", "bullied", "bullying", "paracetamol", "hurting",
    "hitting", "beating", "cutting", "kicking", "punching", "slapping", "touches",
    "someone", "scared", "frightened", "terrified", "emergency", "danger", "stepdad",
    "boyfriend", "girlfriend", "nobody", "anymore", "police", "kill", "die", "dead",
})
TOKEN_RE = re.compile(r"\S+")
EDGE_PUNCT_RE = re.compile(r"^([\"'(\[{<]*)(.*?)([\"')\]}>.,;:?!]*)$")


def _lexicon_words() -> frozenset[str]:
    """Every plain word any rule mentions: the targets normalisation may steer towards."""
    words: set[str] = set()
    for macro in MACROS.values():
        words.update(macro)
    for pattern in [p for _, _, p in RULES] + [p for _, p in NEGATIVE]:
        for item in pattern.split():
            item = item.rstrip("?")
            if item.startswith(("~", "$", "..")) or item in ("_", "^", "END"):
                continue
            verbs = item.startswith("@")
            for alt in item.split("|"):
                if alt.startswith("@") or (verbs and not alt.startswith("$")):
                    words.update(verb_forms(alt.lstrip("@")))
                elif alt.startswith("$"):
                    words.update(MACROS.get(alt[1:], []))
                else:
                    words.add(alt)
    words.update(FUZZY_TARGETS)
    words.update({"suicide", "suicidal", "unalive", "selfharm", "selfharming", "raped",
                  "rape", "rapist", "nudes", "molested", "overdose", "overdosed",
                  "abused", "abuse", "abusive", "exploited", "groomed", "grooming"})
    return frozenset(w for w in words if w.isalpha() or "'" in w)


LEXICON_WORDS: frozenset[str] = _lexicon_words()


def _edit1(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long_)):
        if long_[:i] + long_[i + 1:] == short:
            return True
    return False


def _fold_word(word: str) -> str:
    """One word (no edge punctuation) towards the lexicon's spelling, or unchanged."""
    if word in TEXT_SPEAK:
        return TEXT_SPEAK[word]
    if word in LEXICON_WORDS or not word:
        return word
    candidates: list[str] = []
    if re.search(r"[a-z]", word) and re.search(r"[0-9@$!|*]", word):
        if "*" in word:  # masking: "r*pe", "s**cide"
            rx = re.compile("^" + re.escape(word.translate(LEET)).replace(r"\*", "[a-z]{1,3}") + "$")
            candidates += sorted(w for w in LEXICON_WORDS if rx.match(w))
        else:
            leet = word.translate(LEET)
            candidates += [c for c in (leet, re.sub(r"(.)\1{2,}", r"\1", leet)) if c in LEXICON_WORDS]
        return candidates[0] if candidates else word  # "3rd", "10am" stay as they are
    if not re.fullmatch(r"[a-z']+", word):
        return word
    base = word
    two = re.sub(r"(.)\1{2,}", r"\1\1", base)
    one = re.sub(r"(.)\1{2,}", r"\1", base)
    single = re.sub(r"(.)\1+", r"\1", base)
    for cand in (base, two, one, single):
        if cand in LEXICON_WORDS:
            return cand
        if cand in TEXT_SPEAK:
            return TEXT_SPEAK[cand]
        if cand.endswith("in") and cand + "g" in LEXICON_WORDS:  # "hurtin" -> "hurting"
            return cand + "g"
    if len(two) >= 5 and two not in NOT_TYPOS and two.isalpha():
        for target in sorted(FUZZY_TARGETS):
            if len(target) >= 6 and _edit1(two, target):
                return target
    return two


def normalise(text: str) -> str:
    """Lowercase text with text speak, leetspeak, masking and repeated letters folded.

    Deterministic and conservative: a word only changes into a word the lexicon knows
    (or a contraction spaCy splits properly), so ordinary text passes through intact.
    """
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    out: list[str] = []
    for chunk in TOKEN_RE.findall(text):
        lead, core, tail = EDGE_PUNCT_RE.match(chunk).groups()
        out.append(lead + _fold_word(core) + tail)
    text = " ".join(out)
    # "want 2 die", "4 me": digits between words stand for words.
    text = re.sub(r"(?<=[a-z] )2(?= [a-z])", "to", text)
    text = re.sub(r"(?<=[a-z] )4(?= [a-z])", "for", text)
    for pattern, repl in JOINS:
        text = re.sub(pattern, repl, text)
    return text


# ---------------------------------------------------------------------------------------
# Compiling the pattern language into Matcher patterns
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Compiled:
    """One Matcher entry: variants (word forms, lemmas) and whether it is anchored."""

    key: str
    variants: list
    at_start: bool
    at_end: bool


def _token_spec(item: str, use_lemma: bool) -> list[dict]:
    """Turn one pattern item into one or more Matcher token dicts."""
    optional = item.endswith("?") and len(item) > 1
    item = item[:-1] if optional else item
    if item == "_":
        specs = [{}]
    elif item.startswith(".."):
        return [{"OP": "?"} for _ in range(int(item[2:]))]
    elif item.startswith("~"):
        specs = [{"LOWER": {"REGEX": item[1:]}}]
    else:
        words: set[str] = set()
        lemmas: set[str] = set()
        verbs = item.startswith("@")  # "@hit|kick": every plain alternative is a verb
        for alt in item.split("|"):
            if alt.startswith("@") or (verbs and not alt.startswith("$")):
                words.update(verb_forms(alt.lstrip("@")))
                lemmas.add(alt.lstrip("@"))
            elif alt.startswith("$"):
                words.update(MACROS[alt[1:]])
            else:
                words.add(alt)
        if use_lemma and lemmas:
            plain = words - {f for lemma in lemmas for f in verb_forms(lemma)}
            specs = [{"LEMMA": {"IN": sorted(lemmas | plain)}}]
        else:
            specs = [{"LOWER": {"IN": sorted(words)}}]
    if optional:
        for spec in specs:
            spec["OP"] = "?"
    return specs


def _variants(items: list[str]) -> list:
    """The word-form and the lemma variant of one item list (duplicates dropped)."""
    variants = []
    for use_lemma in (False, True):
        tokens: list[dict] = []
        for item in items:
            tokens.extend(_token_spec(item, use_lemma))
        while tokens and tokens[0] == {"OP": "?"}:
            tokens = tokens[1:]
        while tokens and tokens[-1] == {"OP": "?"}:
            tokens = tokens[:-1]
        if tokens and tokens not in variants:
            variants.append(tokens)
    return variants


def _compile(key: str, pattern: str) -> list[_Compiled]:
    """Compile one rule's pattern text (see the table above RULES).

    "END" as one alternative of the last item ("from|tonight|END") means "one of these
    words, or the end of the message": that becomes a second, end-anchored entry.
    """
    items = pattern.split()
    at_start = items[0] == "^"
    at_end = items[-1] == "END"
    items = [i for i in items if i not in ("^", "END")]
    compiled = [_Compiled(key, _variants(items), at_start, at_end)]
    last = items[-1].split("|")
    if "END" in last:
        rest = "|".join(a for a in last if a != "END")
        compiled = [_Compiled(key, _variants(items[:-1] + [rest]), at_start, at_end),
                    _Compiled(key + "#end", _variants(items[:-1]), at_start, True)]
    return compiled


def _trim_words(doc: Doc) -> tuple[int, int]:
    """Index of the first and one past the last non-punctuation token."""
    idx = [t.i for t in doc if not t.is_punct and not t.is_space]
    return (idx[0], idx[-1] + 1) if idx else (0, 0)


# ---------------------------------------------------------------------------------------
# Age-gap check: a child under 16 with a partner who is an adult is a safeguarding concern.
# ---------------------------------------------------------------------------------------
AGE_GAP_RE = re.compile(
    r"\b(?:i'm|i am|im|i'm only|i am only|im only|i'm just|i just turned|i turned)\s+(\d{1,2})\b"
    r".{0,40}?\b(?:boyfriend|girlfriend|bf|gf|partner|he|she|they|him|her)\b"
    r"(?:\s+(?:is|'s|s|'re|are|was))?\s+(?:only\s+)?(\d{1,2})\b")


AGE_GAP_RULE = "sexual_abuse.age_gap"


def age_gap_concern(text: str) -> bool:
    """True for "i'm 14 and my boyfriend is 25": under 16 with an adult partner."""
    for match in AGE_GAP_RE.finditer(text):
        child, other = int(match.group(1)), int(match.group(2))
        if child < 16 and other >= 18:
            return True
    return False


class SafeguardingLexicon:
    """Checks a spaCy Doc against the safeguarding rules; one instance serves every message."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self._positive = Matcher(nlp.vocab)
        self._negative = Matcher(nlp.vocab)
        self._anchors: dict[str, tuple[bool, bool]] = {}
        self._category: dict[str, str] = {AGE_GAP_RULE: "sexual_abuse"}
        for rule_id, category, pattern in RULES:
            if category not in CATEGORIES:
                raise ValueError(f"rule {rule_id}: unknown category {category}")
            self._category[rule_id] = category
            for entry in _compile(rule_id, pattern):
                self._positive.add(entry.key, entry.variants)
                self._anchors[entry.key] = (entry.at_start, entry.at_end)
        for rule_id, pattern in NEGATIVE:
            for entry in _compile(rule_id, pattern):
                self._negative.add(entry.key, entry.variants)
                self._anchors[entry.key] = (entry.at_start, entry.at_end)

    @property
    def rule_ids(self) -> list[str]:
        """Every positive rule id (for docs and tests)."""
        return list(self._category)

    def _doc_for(self, doc: Doc) -> Doc:
        """The doc to match: the caller's, unless normalising changes its text."""
        norm = normalise(doc.text)
        return doc if norm == doc.text else self.nlp(norm)

    def _spans(self, matcher: Matcher, doc: Doc) -> list[tuple[str, int, int]]:
        first, last = _trim_words(doc)
        found = []
        for match_id, start, end in matcher(doc):
            key = self.nlp.vocab.strings[match_id]
            at_start, at_end = self._anchors[key]
            if at_start and start > first:
                continue
            if at_end and end < last:
                continue
            found.append((key.split("#")[0], start, end))
        return found

    def matches(self, doc: Doc) -> list[tuple[str, int, int]]:
        """All positive matches that survive the vetoes, as (rule id, start, end)."""
        doc = self._doc_for(doc)
        vetoes = self._spans(self._negative, doc)
        kept = []
        for rule_id, start, end in self._spans(self._positive, doc):
            if rule_id not in STRONG and any(s < end and start < e for _, s, e in vetoes):
                continue
            kept.append((rule_id, start, end))
        if age_gap_concern(doc.text):
            kept.append((AGE_GAP_RULE, 0, len(doc)))
        return kept

    def check(self, doc: Doc) -> Optional[SafeguardingHit]:
        """The most urgent hit in the message, or None when nothing signals harm."""
        found = self.matches(doc)
        if not found:
            return None
        rank = {c: i for i, c in enumerate(CATEGORIES)}
        best = min(found, key=lambda m: (rank[self._category[m[0]]], m[1]))
        return SafeguardingHit(self._category[best[0]], best[0])

    def check_text(self, text: str) -> Optional[SafeguardingHit]:
        """Convenience for callers without a Doc: normalise, tokenise, check."""
        return self.check(self.nlp(normalise(text)))


def build_nlp() -> Language:
    """Blank English plus the lookup lemmatizer when its tables are installed.

    The lexicon works without lemmas (it matches word forms too); lemmas widen the net.
    """
    nlp = spacy.blank("en")
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except (ValueError, OSError, ImportError):
        nlp = spacy.blank("en")
    return nlp


# ---------------------------------------------------------------------------------------
# Dev tool: recall and false alarms on the phrase sets
# ---------------------------------------------------------------------------------------
def read_phrases(path: Path) -> list[tuple[int, str, Optional[str]]]:
    """(line number, message, expected category from the last '# == name' header)."""
    rows: list[tuple[int, str, Optional[str]]] = []
    section: Optional[str] = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("# =="):
            name = stripped[4:].strip().split()[0] if stripped[4:].strip() else ""
            section = name if name in CATEGORIES else None
        elif stripped and not stripped.startswith("#"):
            rows.append((number, stripped, section))
    return rows


def evaluate(lexicon: SafeguardingLexicon, folder: Path) -> dict[str, dict]:
    """Recall on crisis*.txt and false alarms on ordinary.txt, with failing line numbers."""
    report: dict[str, dict] = {}
    for name in ("crisis.txt", "crisis_holdout.txt", "ordinary.txt"):
        path = folder / name
        if not path.exists():
            continue
        rows = read_phrases(path)
        crisis = name.startswith("crisis")
        wrong, other_category = [], []
        for number, text, section in rows:
            hit = lexicon.check_text(text)
            if crisis and hit is None:
                wrong.append((number, text, None))
            elif not crisis and hit is not None:
                wrong.append((number, text, hit.rule))
            elif crisis and section and hit and hit.category != section:
                other_category.append((number, section, hit.category, hit.rule))
        report[name] = {"total": len(rows), "wrong": wrong, "other_category": other_category,
                        "crisis": crisis}
    return report


def main(argv: list[str]) -> int:
    """Print the phrase-set report; exit 1 unless recall is 100% and false alarms < 3%."""
    folder = Path(argv[0]) if argv else Path("tests/safety")
    report = evaluate(SafeguardingLexicon(build_nlp()), folder)
    ok = True
    for name, r in report.items():
        total, wrong = r["total"], r["wrong"]
        if r["crisis"]:
            rate = 100.0 * (total - len(wrong)) / total if total else 0.0
            print(f"{name}: recall {rate:.1f}% ({total - len(wrong)}/{total})")
            ok &= not wrong
            for number, text, _ in wrong:
                print(f"  MISS line {number}: {text}")
            if r["other_category"]:
                print(f"  ({len(r['other_category'])} fired under another category than their section)")
        else:
            rate = 100.0 * len(wrong) / total if total else 0.0
            print(f"{name}: false alarms {rate:.1f}% ({len(wrong)}/{total})")
            ok &= rate < 3.0
            for number, text, rule in wrong:
                print(f"  FALSE ALARM line {number} [{rule}]: {text}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
