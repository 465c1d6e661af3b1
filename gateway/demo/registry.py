"""The two registries written down: the residents' committee (rc: community, hu, ren, huiyi) and
the community Party committee (party: zuzhi, dangyuan, baolian, zoufang), docs/partners.md §1-2.

The rc register is the district's anchor and the cleanest source, but it still has the usual
debris: ID format noise and the odd typo, relations typed freely, one phone for the household,
moved-out and deceased residents still listed with a 注销 date.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from gateway.demo import names as N
from gateway.demo import noise as Z
from gateway.demo.events import WINDOW_START, Out, Row, later, moment, phone_of, pick, touched
from gateway.demo.names import TODAY
from gateway.demo.party import Duty, Org, Visit
from gateway.demo.world import Address, Compound, Household, Person, World

_MEETINGS = (("联席会", 90), ("报告会", 182), ("评议会", 365))  # kind, days between


def _stamp(rng: random.Random) -> str:
    return touched(rng, moment(rng))


def communities(out: Out, world: World) -> None:
    for c in world.communities:
        row = {"sqbm": c.code, "sqmc": c.name, "jdbm": N.STREET_CODE, "jdmc": N.STREET_NAME}
        out.add("rc", "community", "community", c.code, row, None)


def _structured(rng: random.Random, a: Address) -> Row:
    if rng.random() < 0.2:  # the whole address in one text cell
        return {"xiaoqu": None, "loudong": None, "danyuan": None, "fanghao": None,
                "zhuzhi": Z.address_cell(rng, a, compound=0.9, tail=0.0)}
    b, e, r = a.building, a.entrance, a.room
    return {"xiaoqu": a.compound.name if rng.random() < Z.keep(0.9) else Z.compound_variant(rng, a),
            "loudong": rng.choices((str(b), f"{b}号楼", f"{b}栋", f"{b}#"), (60, 25, 10, 5))[0],
            "danyuan": str(e) if rng.random() < 0.7 else f"{e}单元",
            "fanghao": rng.choices((str(r), f"{r:04d}", f"{r}室"), (80, 10, 10))[0],
            "zhuzhi": None}


def households(out: Out, rng: random.Random, world: World) -> None:
    for hh in world.households:
        com = world.communities[hh.community]
        klass = {"户籍人口": "城镇", "人户分离": "城镇"}.get(hh.population) or pick(
            rng, (("农村", 60), ("城镇", 30), ("其他", 10)))
        rhzt = ("人户一致" if hh.population == "户籍人口" and rng.random() < 0.97
                else "户在人不在" if rng.random() < 0.1 else "人在户不在")
        row: Row = {"hubh": hh.hubh, "sqbm": com.code, "hzxm": Z.name_cell(rng, hh.head.name),
                    "hb": hh.kind, "hklx": klass}
        row |= _structured(rng, hh.address)
        row |= {"rhzt": rhzt, "dh": Z.phone_cell(rng, hh.phone, missing=0.02),
                "wg": f"第{hh.grid:02d}网格", "updated_at": _stamp(rng)}
        out.add("rc", "hu", "household", hh.hubh, row, None, hh)


def _resident_phone(rng: random.Random, p: Person) -> str | None:
    r = rng.random()
    if r < 0.55 and p.phone:
        return p.phone
    return p.household.phone if r < 0.9 else None


def residents(out: Out, rng: random.Random, world: World) -> None:
    for i, p in enumerate(world.persons, 1):
        rybh = f"R{i:08d}"
        hh = p.household
        id_number = p.id_number
        if p.relation in ("子", "女") and p.age < 16 and rng.random() < Z.rate(0.005):
            id_number = hh.head.id_number  # child registered with the parent's number
        birth = p.birth
        if rng.random() < Z.rate(0.01):  # birth date typed wrong, contradicting the ID
            birth = birth + timedelta(days=rng.choice((-31, -1, 1, 30, 365)))
        gender = p.gender if rng.random() >= Z.rate(0.005) else ("F" if p.gender == "M" else "M")
        registered = max(hh.registered, p.birth)
        row = {"rybh": rybh, "hubh": hh.hubh, "xm": Z.name_cell(rng, p.name),
               "xb": Z.gender_cell(rng, gender),
               "mz": p.ethnicity if rng.random() < 0.85 else p.ethnicity.removesuffix("族"),
               "sfzh": Z.id_cell(rng, id_number, typo=0.008, fmt=0.03, missing=0.02),
               "csrq": Z.date_cell(rng, birth, other=0.2),
               "yhzgx": Z.relation_cell(rng, p.relation, p.gender),
               "zzmm": Z.political_cell(rng, p.political), "rklx": hh.population,
               "lxdh": Z.phone_cell(rng, _resident_phone(rng, p), missing=0.0),
               "bq": rng.choice((",", "、")).join(p.tags) or None,
               "djrq": Z.date_cell(rng, registered, other=0.1),
               "zxrq": p.deregistered.isoformat() if p.deregistered else None,
               "updated_at": touched(rng, moment(rng, lo=max(registered, p.deregistered
                                                             or WINDOW_START)))}
        out.add("rc", "ren", "resident", rybh, row, p)


def meetings(out: Out, rng: random.Random, world: World) -> None:
    for com in world.communities:
        days = [(kind, TODAY - timedelta(days=d))
                for kind, step in _MEETINGS for d in range(rng.randint(5, step), 730, step)]
        days += [("听证会", TODAY - timedelta(days=rng.randint(5, 725)))
                 for _ in range(rng.randint(1, 4))]
        for n, (kind, day) in enumerate(sorted(days, key=lambda x: (x[1], x[0])), 1):
            key = f"HY{com.code}-{n:03d}"
            topic = rng.choice(N.MEETING_TOPICS[kind])
            held = datetime(day.year, day.month, day.day, 15, 0)
            row = {"hybh": key, "sqbm": com.code, "hylx": kind, "hyrq": day.isoformat(),
                   "zt": topic, "cyrs": rng.randint(12, 80),
                   "jy": f"会议围绕{topic}进行讨论，形成初步意见，报社区党委审定。",
                   "updated_at": touched(rng, later(rng, held, 2, 72))}
            out.add("rc", "huiyi", "meeting", key, row, None)


# --- party -------------------------------------------------------------------------------------


def organizations(out: Out, rng: random.Random, world: World) -> None:
    for org in world.party.orgs:
        com = world.communities[org.community]
        row = {"zzid": org.zzid, "zzmc": org.name, "zzlx": org.kind, "zblx": org.branch_type,
               "sjzzid": org.parent.zzid if org.parent else None, "sqbm": com.code,
               "shuji": org.secretary.person.name if org.secretary else None,
               "updated_at": _stamp(rng)}
        out.add("party", "zuzhi", "organization", org.zzid, row, None)


def _branch_as_typed(rng: random.Random, branch: Org) -> str:
    r = rng.random()
    if r < 0.5:
        return branch.short
    if r < 0.75:
        return f"第{'一二三四五六七八九十'.index(branch.short[0]) + 1}党支部"
    return branch.name


def members(out: Out, rng: random.Random, world: World) -> None:
    branches = [o for o in world.party.orgs if o.kind == "党支部"]
    for m in world.party.members:
        p = m.person
        branch = m.branch
        if rng.random() < 0.03:  # still listed under the branch before a transfer
            branch = rng.choice([b for b in branches if b.community == branch.community])
        row = {"dyid": m.dyid, "xm": Z.name_cell(rng, p.name), "xb": Z.gender_cell(rng, p.gender),
               "mz": p.ethnicity, "sfzh": Z.id_cell(rng, p.id_number, typo=0.01, missing=0.01),
               "csny": Z.month_cell(rng, p.birth), "rdsj": Z.month_cell(rng, m.joined),
               "rylb": "预备党员" if m.probationary else "正式党员",
               "szzb": _branch_as_typed(rng, branch), "dylx": m.kind,
               "sfld": "是" if m.mobile else "否",
               "lxdh": Z.phone_cell(rng, phone_of(rng, p, shared=0.1)),
               "jtzz": Z.address_cell(rng, p.household.address, compound=0.9, prefix=0.2),
               "gzdw": m.workplace, "updated_at": _stamp(rng)}
        out.add("party", "dangyuan", "member", m.dyid, row, p)


def _target(rng: random.Random, duty: Duty) -> tuple[str, Household | None]:
    t = duty.target
    if isinstance(t, Org):
        return (t.short if rng.random() < 0.6 else t.name), None
    if isinstance(t, Compound):
        return t.name, None
    if isinstance(t, tuple):
        compound, building = t
        return f"{compound.name}{building}号楼", None
    assert isinstance(t, Household)
    a = t.address
    if rng.random() < 0.8:
        return f"{a.compound.name}{a.building}-{a.entrance}-{a.room}", t
    return Z.address_cell(rng, a, compound=0.9, prefix=0.0), t


def responsibilities(out: Out, rng: random.Random, world: World) -> None:
    last: dict[tuple[str, str], Visit] = {}
    for v in world.party.visits:  # the latest visit of each member and household
        seen = last.get((v.member.dyid, v.household.hid))
        if seen is None or seen.day < v.day:
            last[(v.member.dyid, v.household.hid)] = v
    for d in world.party.duties:
        bldx, hh = _target(rng, d)
        visit = last.get((d.member.dyid, hh.hid)) if hh else None
        row = {"blid": d.blid, "dyid": d.member.dyid, "zw": d.member.duty, "bljc": d.level,
               "bldx": bldx, "sqbm": world.communities[d.community].code,
               "lxfs": Z.phone_cell(rng, d.member.person.phone or d.member.person.household.phone),
               "zjzfrq": Z.date_cell(rng, visit.day, other=0.2) if visit else None,
               "updated_at": _stamp(rng)}
        out.add("party", "baolian", "responsibility", d.blid, row, None, hh)


_NOTES = ("了解家庭近况，无特殊诉求", "老人身体状况良好", "反映楼道灯不亮，已转物业",
          "宣传垃圾分类政策", "询问养老助餐服务", "反映暖气不热，已记录")


def visits(out: Out, rng: random.Random, world: World) -> None:
    for v in world.party.visits:
        a = v.household.address
        style = pick(rng, (("full", 80), ("#-", 8), ("号楼单元", 12)))
        lxh = (f"{a.compound.name}{a.building}-{a.entrance}-{a.room}" if style == "full"
               else Z.room_text(rng, a, style))
        when = datetime(v.day.year, v.day.month, v.day.day, 10, 0)
        row = {"zfid": v.zfid, "dyid": v.member.dyid, "lxh": lxh,
               "sqbm": world.communities[v.household.community].code,
               "zfrq": v.day.isoformat(), "zfxs": v.mode, "nr": rng.choice(_NOTES),
               "updated_at": touched(rng, later(rng, when, 1, 72))}
        out.add("party", "zoufang", "contact_visit", v.zfid, row, None, v.household)


def registries(out: Out, rng: random.Random, world: World) -> None:
    """All rc and party tables, in the order of docs/partners.md."""
    communities(out, world)
    households(out, rng, world)
    residents(out, rng, world)
    meetings(out, rng, world)
    organizations(out, rng, world)
    members(out, rng, world)
    responsibilities(out, rng, world)
    visits(out, rng, world)
