"""What the page says in Chinese: coded errors, purposes, partner statuses."""

from __future__ import annotations

ERRORS: dict[str, str] = {
    "PERIOD_REVERSED": "所选时段的结束日期早于开始日期，请重新选择。",
    "PERIOD_IN_FUTURE": "所选时段尚未开始，暂无可统计的数据。",
    "FORBIDDEN": "该社区不在本单位的授权范围内。",
    "FORBIDDEN_FIELD": "本单位没有查看这部分数据的授权。",
    "PURPOSE_REQUIRED": "请声明查询用途。",
    "PURPOSE_NOT_ALLOWED": "当前用途不允许查看这部分数据（统计用途只提供汇总数字）。",
    "OFFICER_REQUIRED": "请填写经办人。",
    "UNAUTHENTICATED": "API 密钥无效，请核对后重新登录。",
    "CREDENTIALS_EXPIRED": "API 密钥已过期，请联系管理员更换。",
    "CREDENTIALS_REVOKED": "API 密钥已被吊销，请联系管理员。",
    "TOKEN_INVALID": "凭证格式不正确。",
    "NOT_FOUND": "没有找到所请求的记录。",
    "MALFORMED_ID": "编号格式不正确。",
    "BAD_REQUEST": "请求参数有误。",
    "BAD_USER_INPUT": "输入有误（例如日期格式应为 YYYY-MM-DD）。",
    "UNKNOWN_FIGURE": "没有这个指标的明细。",
    "RATE_LIMITED": "请求过于频繁，请稍后再试。",
    "OVERLOADED": "系统繁忙，请稍后再试。",
    "STORE_UNAVAILABLE": "数据库暂时无法访问，请稍后再试。",
    "UNAVAILABLE": "服务暂时不可用，请稍后再试。",
    "PARTNER_UNAVAILABLE": "有合作单位系统暂时无法连接，相关数据可能不完整。",
    "PARTNER_CIRCUIT_OPEN": "有合作单位系统连续故障，已暂停访问，相关数据可能不完整。",
    "PARTNER_TIMEOUT": "有合作单位系统响应超时，相关数据可能不完整。",
    "PARTNER_ERROR": "合作单位系统返回错误。",
    "DEADLINE_EXCEEDED": "查询超时，请缩短时段后重试。",
    "AUDIT_UNAVAILABLE": "审计日志暂时无法写入，出于安全考虑未返回数据。",
    "DOCUMENT_NOT_TRUSTED": "该查询未登记为可信查询。",
    "QUERY_TOO_COSTLY": "查询过于复杂。",
    "PAGE_TOO_LARGE": "每页条数过多。",
    "INTERNAL_ERROR": "系统内部错误，请联系管理员。",
}


def error_text(code: str) -> str:
    return ERRORS.get(code, "请求未能完成。")


PURPOSES: dict[str, str] = {
    "joint_meeting": "联席会议（协调会）",
    "case_handling": "个案办理",
    "service_delivery": "为民服务",
    "statistics": "统计分析（仅汇总）",
}

STATUSES: dict[str, str] = {
    "OK": "正常",
    "STALE": "数据较旧",
    "NO_SNAPSHOT": "无快照",
    "DOWN": "系统故障",
}

SECTIONS: dict[str, str] = {
    "disputes": "矛盾纠纷",
    "appeals": "群众诉求",
    "services": "服务与五卡",
    "chain": "包联责任链",
    "visits": "党员联系户",
    "meetings": "四会落实",
    "needs": "未满足的需求",
    "property": "四位一体（物业与业委会）",
}

CADENCES: dict[str, str] = {
    "QUARTERLY": "每季度",
    "SEMIANNUAL": "每半年",
    "ANNUAL": "每年",
    "AS_NEEDED": "按需",
}

MEMBER_TYPES: dict[str, str] = {
    "PLANNER": "谋划型",
    "EXPERT": "知识型",
    "CULTURE_SPORTS": "文体型",
    "SERVICE": "服务型",
}

# The bodies a need is seen by (`UnmetHousehold.seenBy` gives codes only).
BODIES: dict[str, str] = {
    "TRADE_UNION": "工会", "HOTLINE": "12345热线", "PETITION": "信访", "WOMENS_FEDERATION": "妇联",
    "YOUTH_LEAGUE": "共青团", "MEDIATION": "调委会", "RESIDENTS_COMMITTEE": "居委会",
    "HALL": "为民服务大厅", "PROXY_STATION": "代办站", "PARTY": "社区党委",
    "PROPERTY": "物业", "OWNERS_COMMITTEE": "业委会",
}

DISTANCES: dict[str, str] = {
    "SAME_BUILDING": "同楼",
    "SAME_COMPOUND": "同院",
    "SAME_COMMUNITY": "同社区",
}


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} 分钟前"
    if seconds < 86400 * 2:
        return f"{round(seconds / 3600)} 小时前"
    return f"{round(seconds / 86400)} 天前"

# The list behind each figure, as the list page titles it.
FIGURES: dict[str, str] = {
    "disputes.opened": "本期新发纠纷",
    "disputes.closed": "本期办结纠纷",
    "disputes.overdue": "期末超期未结纠纷",
    "disputes.openAtEnd": "期末未结纠纷",
    "disputes.reportsMerged": "多方重复报告（已合并）",
    "disputes.byCategory": "本期新发纠纷（按类别）",
    "disputes.byMediationType": "本期新发纠纷（按调解类型）",
    "disputes.byMediationType.closed": "本期办结纠纷（按调解类型）",
    "disputes.byMediationType.overdue": "期末超期未结纠纷（按调解类型）",
    "disputes.byReportingBody": "本期新发纠纷（按报告单位）",
    "disputes.byReportingBody.closed": "本期办结纠纷（按报告单位）",
    "disputes.byReportingBody.overdue": "期末超期未结纠纷（按报告单位）",
    "disputes.byStatus": "本期新发纠纷（按当前状态）",
    "appeals.received": "本期受理诉求",
    "appeals.closed": "本期办结诉求",
    "appeals.onTime": "本期按时办结诉求",
    "appeals.rated": "本期办结并参与评价的诉求",
    "appeals.satisfied": "本期办结并评价满意（含基本满意）的诉求",
    "appeals.byChannel": "本期受理诉求（按渠道）",
    "appeals.byType": "本期受理诉求（按类型）",
    "appeals.byType.closed": "本期办结诉求（按类型）",
    "appeals.byType.onTime": "本期按时办结诉求（按类型）",
    "appeals.topLocations": "高发地点的诉求",
    "appeals.topTopics": "高发话题的诉求",
    "services.total": "本期服务办件",
    "services.byBody": "本期服务办件（按单位）",
    "services.byKind": "本期服务办件（按单位与事项）",
    "services.cardsIssued": "本期发放五卡",
    "services.cardsActive": "期末有效五卡",
    "services.cardsByKind": "本期发放五卡（按种类）",
    "chain.households": "社区在册住户",
    "chain.householdsWithoutMember": "无党员包户的户",
    "chain.buildings": "社区楼栋",
    "chain.buildingsWithoutCommitteeMember": "无支委包楼的楼栋",
    "chain.compounds": "社区院落",
    "chain.compoundsWithoutSecretary": "无书记包院的院落",
    "chain.branches": "社区党支部",
    "chain.branchesWithoutCommittee": "党委未包联的支部",
    "visits.visits": "本期联系户走访",
    "visits.members": "包户党员",
    "visits.membersMeetingTarget": "本期走访达到目标的党员",
    "visits.shortOfTarget": "未达标党员的包联户",
    "visits.shortOfTarget.visits": "未达标党员本期的走访",
    "meetings.heldInPeriod": "本期召开的会议",
    "needs.byNeed": "需求未满足的户",
    "property.rooms": "物业登记的房屋",
    "property.vacant": "空置房屋",
    "property.rented": "出租房屋",
    "property.repairsOpened": "本期报修",
    "property.repairsDone": "本期完工的报修",
    "property.repairsOpenAtEnd": "期末未完成的报修",
    "property.roomsInArrears": "欠缴物业费的房屋",
    "property.ballots": "本期业主表决票",
    "property.mattersVoted": "本期业主表决的事项",
}

# What an item of a list is, as its 类型 column says.
ITEM_KINDS: dict[str, str] = {
    "dispute": "纠纷", "appeal": "诉求", "service": "服务", "care_card": "五卡", "visit": "走访",
    "meeting": "会议", "household": "户", "building": "楼栋", "compound": "院落",
    "branch": "党支部", "member": "党员", "repair": "报修", "occupancy": "房屋", "vote": "表决票",
    "matter": "表决事项",
}
