"""National helplines: each number and each line about it, written once.

Why one place: the safety reply, the check-in, "who can I talk to", the advocate lookup and the
gateway's own fallback all name the same services; a number changed in one of them and not the
others would send a child to a dead line. Numbers come only from shared/reference/helplines.md;
council numbers come from council profiles, never from here.
"""
from __future__ import annotations

EMERGENCY = "999"
NHS_111 = "111"
CHILDLINE = "0800 1111"
SAMARITANS = "116 123"
SHOUT = "85258"
NSPCC = "0808 800 5000"
ALWAYS_HEARD = "0808 800 5792"
BECOME = "0800 023 2033"
FAMILY_RIGHTS_GROUP = "0808 801 0366"

#: Every national number content may contain, as digits only (the content check allows these).
NATIONAL_DIGITS = frozenset(n.replace(" ", "") for n in (
    EMERGENCY, NHS_111, CHILDLINE, SAMARITANS, SHOUT, NSPCC, ALWAYS_HEARD, BECOME, FAMILY_RIGHTS_GROUP))

ALWAYS_HEARD_HOURS = "Monday to Friday 9.30am to 6pm, Saturday 10am to 4pm"
FAMILY_RIGHTS_GROUP_HOURS = "Monday to Friday 9.30am to 3pm"

# --- lines used in more than one reply -----------------------------------------------------
DANGER_NOW = f"If you are in danger now, call {EMERGENCY}."
CHILDLINE_LINE = (f"Childline: call {CHILDLINE}, or use the 1-2-1 chat on the Childline website. "
                  "It's free, any time, for anyone under 19.")
CHILDLINE_SHORT = f"Childline, any time, free, for anyone under 19: {CHILDLINE}."
CHILDLINE_CHECK_IN = (f"You can talk to Childline about anything, free and any time, on {CHILDLINE} "
                      "(for anyone under 19).")
SAMARITANS_LINE = (f"Samaritans: call {SAMARITANS} (free, any time) if you are thinking about hurting "
                   "yourself or ending your life.")
NSPCC_LINE = f"the NSPCC helpline on {NSPCC}"
ALWAYS_HEARD_LINE = ("Always Heard, Coram Voice's advocacy helpline for children in care and care leavers: "
                     f"{ALWAYS_HEARD} ({ALWAYS_HEARD_HOURS}).")
BECOME_LINE = f"Become's Care Advice Line, for young people in care and care leavers: {BECOME}."
FAMILY_RIGHTS_GROUP_LINE = ("Family Rights Group's advice line, for parents and family carers dealing with "
                            f"children's services: {FAMILY_RIGHTS_GROUP} ({FAMILY_RIGHTS_GROUP_HOURS}).")
#: The fixed contacts for when nothing else can be built (the gateway's last resort).
FIXED_CONTACTS = (f"If you are in danger, call {EMERGENCY}. If you are under 19 you can talk to Childline "
                  f"free on {CHILDLINE}, or anyone can call Samaritans free on {SAMARITANS}, any time.")
