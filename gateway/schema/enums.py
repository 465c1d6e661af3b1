"""Enumerations of the unified vocabulary (DOMAIN.md glossary). Values a partner sends that we
do not know map to UNKNOWN, and the partner's own wording is kept beside them."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=Enum)


def coerce(enum: type[E], value: str | None, default: E | None = None) -> E | None:
    if value is None:
        return default
    try:
        return enum[value]
    except KeyError:
        return default


@strawberry.enum(description="户籍/流动/人户分离/境外 实有人口 category")
class PopulationType(Enum):
    REGISTERED = "REGISTERED"
    MIGRANT = "MIGRANT"
    REGISTERED_ELSEWHERE = "REGISTERED_ELSEWHERE"
    FOREIGN = "FOREIGN"


@strawberry.enum(description="与户主关系 (GB/T 4761 groups)")
class RelationToHead(Enum):
    HEAD = "HEAD"
    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    PARENT = "PARENT"
    GRANDCHILD = "GRANDCHILD"
    SIBLING = "SIBLING"
    OTHER = "OTHER"


@strawberry.enum(description="性别")
class Gender(Enum):
    MALE = "M"
    FEMALE = "F"


@strawberry.enum(description="服务记录类别: 办件/代办/困难职工档案/青少年帮扶结对/维权个案")
class ServiceKind(Enum):
    SERVICE_CASE = "service_case"
    PROXY_ERRAND = "errand"
    HARDSHIP_FILE = "hardship_file"
    YOUTH_PAIRING = "pairing"
    RIGHTS_CASE = "rights_case"


@strawberry.enum(description="矛盾纠纷状态 (DOMAIN.md §3.1)")
class DisputeStatus(Enum):
    DISCOVERED = "DISCOVERED"
    REGISTERED = "REGISTERED"
    NOT_ACCEPTED = "NOT_ACCEPTED"
    ASSIGNED = "ASSIGNED"
    IN_MEDIATION = "IN_MEDIATION"
    AGREEMENT_REACHED = "AGREEMENT_REACHED"
    MEDIATION_FAILED = "MEDIATION_FAILED"
    ESCALATED = "ESCALATED"
    TERMINATED = "TERMINATED"
    JUDICIAL_CONFIRMATION_PENDING = "JUDICIAL_CONFIRMATION_PENDING"
    CONFIRMED = "CONFIRMED"
    INVALIDATED = "INVALIDATED"
    PERFORMING = "PERFORMING"
    FOLLOWED_UP = "FOLLOWED_UP"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="纠纷类型 (GB/T 31000 groups)")
class DisputeCategory(Enum):
    NEIGHBOR = "NEIGHBOR"
    MARRIAGE_FAMILY = "MARRIAGE_FAMILY"
    DAMAGES = "DAMAGES"
    HOUSING_LAND = "HOUSING_LAND"
    MEDICAL = "MEDICAL"
    CONTRACT = "CONTRACT"
    PROPERTY = "PROPERTY"
    LABOR = "LABOR"
    CONSUMER = "CONSUMER"
    OTHER = "OTHER"


@strawberry.enum(description="案件来源")
class DisputeSource(Enum):
    PARTY_APPLICATION = "PARTY_APPLICATION"
    PROACTIVE = "PROACTIVE"
    POLICE_TRANSFER = "POLICE_TRANSFER"
    COURT_ENTRUSTED = "COURT_ENTRUSTED"
    GOV_ASSIGNED = "GOV_ASSIGNED"
    GRID_REPORT = "GRID_REPORT"
    HOTLINE = "HOTLINE"


@strawberry.enum(description="人民/行政/司法调解")
class MediationType(Enum):
    PEOPLES = "PEOPLES"
    ADMINISTRATIVE = "ADMINISTRATIVE"
    JUDICIAL = "JUDICIAL"


@strawberry.enum(description="风险等级 红/橙/黄")
class RiskLevel(Enum):
    RED = "RED"
    ORANGE = "ORANGE"
    YELLOW = "YELLOW"


@strawberry.enum(description="诉求来源: 12345工单 / 信访件")
class AppealKind(Enum):
    HOTLINE_TICKET = "ticket"
    PETITION = "petition"
    RECEPTION = "reception"  # 居委会接待登记: reception room, 恳谈会, home visit


@strawberry.enum(description="诉求类型 咨询/求助/投诉/举报/建议/表扬")
class AppealType(Enum):
    CONSULTATION = "CONSULTATION"
    HELP = "HELP"
    COMPLAINT = "COMPLAINT"
    REPORT = "REPORT"
    SUGGESTION = "SUGGESTION"
    PRAISE = "PRAISE"


@strawberry.enum(description="诉求渠道 / 信访形式")
class AppealChannel(Enum):
    PHONE = "PHONE"
    WEBSITE = "WEBSITE"
    WECHAT = "WECHAT"
    APP = "APP"
    TRANSFER = "TRANSFER"
    LETTER = "LETTER"
    VISIT = "VISIT"
    ONLINE = "ONLINE"
    RECEPTION_ROOM = "RECEPTION_ROOM"  # 接待室
    FORUM = "FORUM"  # 恳谈会
    HOME_VISIT = "HOME_VISIT"  # 入户
    OTHER = "OTHER"


@strawberry.enum(description="回访满意度")
class Satisfaction(Enum):
    SATISFIED = "SATISFIED"
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"
    DISSATISFIED = "DISSATISFIED"


@strawberry.enum(description="五卡: 医疗卡/助学卡/就业卡/服务卡/结对卡")
class CareCardKind(Enum):
    MEDICAL = "MEDICAL"
    EDUCATION = "EDUCATION"
    EMPLOYMENT = "EMPLOYMENT"
    SERVICE = "SERVICE"
    PAIRING = "PAIRING"


@strawberry.enum(description="卡状态")
class CareCardStatus(Enum):
    ISSUED = "ISSUED"
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="包联层级: 党委包支部/书记包院/支委包楼/党员包户")
class ResponsibilityLevel(Enum):
    COMMITTEE_BRANCH = "COMMITTEE_BRANCH"
    SECRETARY_COMPOUND = "SECRETARY_COMPOUND"
    COMMITTEE_MEMBER_BUILDING = "COMMITTEE_MEMBER_BUILDING"
    MEMBER_HOUSEHOLD = "MEMBER_HOUSEHOLD"


@strawberry.enum(description="党员类型: 谋划型/知识型/文体型/服务型")
class MemberRole(Enum):
    PLANNER = "PLANNER"
    EXPERT = "EXPERT"
    CULTURE_SPORTS = "CULTURE_SPORTS"
    SERVICE = "SERVICE"


@strawberry.enum(description="正式党员 / 预备党员")
class MembershipStatus(Enum):
    FULL = "FULL"
    PROBATIONARY = "PROBATIONARY"


@strawberry.enum(description="走访形式")
class VisitMode(Enum):
    HOME_VISIT = "HOME_VISIT"
    PHONE = "PHONE"
    MESSAGE = "MESSAGE"
    OTHER = "OTHER"


@strawberry.enum(description="How a source record was linked to its household")
class LinkMethod(Enum):
    ANCHOR = "anchor"
    ID_NUMBER = "idNumber"
    ID_NUMBER_PARTIAL = "idNumberPartial"
    NAME = "name"
    ADDRESS = "address"
    ADDRESS_PARTIAL = "addressPartial"
    PHONE = "phone"
    PHONE_PARTIAL = "phonePartial"
    HUMAN = "human"


@strawberry.enum(description="Link status: linked by linkage (auto) or by a person (confirmed), "
                 "proposed for review, refused by a person, or left unlinked with a reason")
class LinkStatus(Enum):
    AUTO = "auto"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"
    UNLINKED = "unlinked"


@strawberry.enum(description="A partner's status for this request or at its last probe")
class SourceState(Enum):
    OK = "OK"
    ERROR = "ERROR"
    TIMEOUT = "TIMEOUT"
    UNAVAILABLE = "UNAVAILABLE"
