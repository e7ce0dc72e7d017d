"""Typed values of the domain: closed sets, so nothing free-form travels where it should not."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    IMMEDIATE = "immediate"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return {"immediate": "Immediate risk", "high": "High", "medium": "Medium", "low": "Low"}[
            self.value
        ]


class Category(StrEnum):
    NEGLECT = "neglect"
    PHYSICAL = "physical"
    EMOTIONAL = "emotional"
    SEXUAL = "sexual"
    DOMESTIC_ABUSE = "domestic_abuse"
    HEALTH = "health"
    EDUCATION = "education"
    HOUSING = "housing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "neglect": "Neglect",
            "physical": "Physical harm",
            "emotional": "Emotional harm",
            "sexual": "Sexual harm",
            "domestic_abuse": "Domestic abuse",
            "health": "Health or development",
            "education": "Attendance or education",
            "housing": "Housing or home conditions",
            "other": "Something else",
        }[self.value]


class LawfulBasis(StrEnum):
    """UK GDPR Article 6 bases a practitioner may rely on to share."""

    PUBLIC_TASK = "public_task"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    CONSENT = "consent"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def label(self) -> str:
        return {
            "public_task": "Public task",
            "legal_obligation": "Legal obligation",
            "vital_interests": "Vital interests (risk to life)",
            "consent": "Consent",
            "legitimate_interests": "Legitimate interests",
        }[self.value]


class SpecialCategoryCondition(StrEnum):
    """UK GDPR Article 9(2) conditions for special category data (health, sex life, …).

    NONE: the concern holds no special category data. Health concerns always need one.
    """

    NONE = "none"
    SAFEGUARDING = "safeguarding"
    HEALTH_SOCIAL_CARE = "health_social_care"
    VITAL_INTERESTS = "vital_interests"
    STATUTORY = "statutory"
    SOCIAL_PROTECTION = "social_protection"
    EXPLICIT_CONSENT = "explicit_consent"
    LEGAL_CLAIMS = "legal_claims"

    @property
    def label(self) -> str:
        return {
            "none": "No health or other special category data",
            "safeguarding": (
                "9(2)(g), DPA 2018 Sch 1 para 18: safeguarding children, people at risk"
            ),
            "health_social_care": "9(2)(h), DPA 2018 Sch 1 para 2: health or social care",
            "vital_interests": "9(2)(c): vital interests, when consent cannot be given",
            "statutory": "9(2)(g), DPA 2018 Sch 1 para 6: statutory purposes",
            "social_protection": "9(2)(b), DPA 2018 Sch 1 para 1: social protection law",
            "explicit_consent": "9(2)(a): explicit consent",
            "legal_claims": "9(2)(f): legal claims",
        }[self.value]


# Concerns of these kinds are about health: an Article 9 condition is always needed.
SPECIAL_CATEGORY_CONCERNS = frozenset({Category.HEALTH})


class SharingDecision(StrEnum):
    """The raiser's choice in the step where recipients are chosen (golden rule 7)."""

    SHARE = "share"
    NOT_SHARE = "not_share"

    @property
    def label(self) -> str:
        return {
            "share": "Share it with the people chosen",
            "not_share": "Do not share: record my decision and why",
        }[self.value]


class ChosenBecause(StrEnum):
    """Why a recipient was chosen: the routing policy's reason, or the raiser's own choice.

    Closed and without content, so a pointer may carry it into chat.
    """

    LEAD = "lead"
    DEPUTY = "deputy"
    WHOLE_NETWORK = "whole_network"
    RELEVANT = "relevant"
    RAISER_CHOSE = "raiser_chose"

    @property
    def label(self) -> str:
        return {
            "lead": "lead professional for this client",
            "deputy": "deputy lead professional for this client",
            "whole_network": "this kind of concern goes to the whole network",
            "relevant": "the routing policy sends this kind of concern to your agency",
            "raiser_chose": "the person who raised it chose to include you",
        }[self.value]


class FamilyInformed(StrEnum):
    """Golden rule 2: say whether the family was told, or why not."""

    YES = "yes"
    NOT_SAFE = "not_safe"
    NOT_YET = "not_yet"
    NOT_PRACTICABLE = "not_practicable"

    @property
    def label(self) -> str:
        return {
            "yes": "Yes, the family knows what I am sharing and why",
            "not_safe": "No, telling them could put someone at risk",
            "not_yet": "Not yet, I will tell them",
            "not_practicable": "No, it is not practicable",
        }[self.value]


class Role(StrEnum):
    LEAD = "lead"
    DEPUTY = "deputy"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {"lead": "Lead professional", "deputy": "Deputy lead", "member": "Network member"}[
            self.value
        ]


class DeliveryRole(StrEnum):
    LEAD = "lead"
    DEPUTY = "deputy"
    MEMBER = "member"
    RAISER = "raiser"
    DUTY = "duty"
    OUTSIDER = "outsider"  # raised about a child whose network they are not in: sees nothing


class AdviserRole(StrEnum):
    """Whom a raiser's request for advice went to: the steps of its escalation, in order."""

    SAFEGUARDING_LEAD = "safeguarding_lead"
    DUTY_CONTACT = "duty_contact"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "safeguarding_lead": "safeguarding lead",
            "duty_contact": "duty contact",
            "admin": "Flare administrator",
        }[self.value]


class Platform(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    PLAYGROUND = "playground"


class ConcernStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"
    NOT_SHARED = "not_shared"


class PointerKind(StrEnum):
    NEW_CONCERN = "new_concern"
    NEW_INFORMATION = "new_information"
    ACKNOWLEDGED = "acknowledged"
    ACK_RECEIPT = "ack_receipt"
    ESCALATION = "escalation"
    FOLLOW_UP_REMINDER = "follow_up_reminder"
    FOLLOW_UP_ASSIGNED = "follow_up_assigned"
    PATTERN_ALERT = "pattern_alert"
    FRESH_LINK = "fresh_link"
    FORWARDED_ATTEMPT = "forwarded_attempt"
    ADMIN_ALERT = "admin_alert"
    ESCALATED_RECEIPT = "escalated_receipt"
    FOLLOW_UP_OVERDUE = "follow_up_overdue"
    DIGEST = "digest"
    CONCERN_CLOSED = "concern_closed"
    CONCERN_REOPENED = "concern_reopened"
    ADDED_TO_NETWORK = "added_to_network"
    NETWORK_ROLE_CHANGED = "network_role_changed"
    REMOVED_FROM_NETWORK = "removed_from_network"
    JOIN_REQUEST = "join_request"
    JOIN_APPROVED = "join_approved"
    JOIN_DECLINED = "join_declined"
    JOIN_REQUEST_APPROVED = "join_request_approved"  # a lead's request pointer, once decided
    JOIN_REQUEST_DECLINED = "join_request_declined"
    ADVICE_REQUESTED = "advice_requested"
    ADVICE_GIVEN = "advice_given"


class Outcome(StrEnum):
    """How the lead closed a concern: a closed set; only OTHER takes a (sealed) note."""

    NO_FURTHER_ACTION = "no_further_action"
    ADVICE_GIVEN = "advice_given"
    EARLY_HELP = "early_help"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    POLICE = "police"
    MONITORING = "monitoring"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "no_further_action": "No further action",
            "advice_given": "Advice given",
            "early_help": "Early help",
            "childrens_social_care": "Referred to children's social care",
            "police": "Referred to police",
            "monitoring": "Monitoring",
            "other": "Other (with a note)",
        }[self.value]

    @property
    def needs_note(self) -> bool:
        return self is Outcome.OTHER
