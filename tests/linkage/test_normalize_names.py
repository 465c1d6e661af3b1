from __future__ import annotations

import pytest

from gateway.linkage.normalize import PersonName, name_similarity, parse_name, split_names


@pytest.mark.parametrize(
    "raw", ["张三", "张 三", "张\u3000三", " 张三 ", "张三\t", "\u200b张三", "张三（户主）", "张三1"]
)
def test_whitespace_and_debris(raw):
    assert parse_name(raw) == PersonName("张三", "张", None, "zhang san")


@pytest.mark.parametrize(
    ("raw", "surname", "honorific"),
    [("王女士", "王", "女士"), ("张师傅", "张", "师傅"), ("老李", "李", "老"), ("小王", "王", "小"),
     ("刘阿姨", "刘", "阿姨"), ("赵大爷", "赵", "大爷"), ("欧阳女士", "欧阳", "女士"),
     ("王先生", "王", "先生"), ("陈哥", "陈", "哥"), ("张某", "张", "某")],
)
def test_honorific_only(raw, surname, honorific):
    assert parse_name(raw) == PersonName(None, surname, honorific, None)


def test_honorific_after_a_full_name_keeps_the_name():
    assert parse_name("张三先生") == PersonName("张三", "张", "先生", "zhang san")


def test_small_given_names_are_not_honorifics():
    assert parse_name("小明").full == "小明"


@pytest.mark.parametrize("raw", ["匿名", "无", "/", "", None, "不详", "市民", 3.5])
def test_anonymous(raw):
    assert parse_name(raw) == PersonName()


@pytest.mark.parametrize(
    ("raw", "surname"),
    [("欧阳娜娜", "欧阳"), ("司马光", "司马"), ("诸葛亮", "诸葛"), ("上官婉儿", "上官"),
     ("东方明", "东方"), ("皇甫嵩", "皇甫"), ("慕容复", "慕容"), ("司徒雷", "司徒"), ("王芳", "王")],
)
def test_compound_surnames(raw, surname):
    assert parse_name(raw).surname == surname


@pytest.mark.parametrize(
    "raw", ["张三、李四", "张三,李四", "张三/李四", "张三；李四", "张三 李四", "张三和李四"]
)
def test_multi_person_cells(raw):
    assert split_names(raw) == ["张三", "李四"]
    assert parse_name(raw).full == "张三"


def test_names_with_he_are_not_split():
    assert split_names("李和平") == ["李和平"]


def test_traditional_characters_fold():
    assert parse_name("劉德華").full == "刘德华"


@pytest.mark.parametrize(
    ("a", "b"), [("李丽", "李莉"), ("张静", "张婧"), ("王伟", "王玮"), ("刘洋", "刘阳")]
)
def test_homophones_score_high(a, b):
    assert name_similarity(a, b) == pytest.approx(0.9)


@pytest.mark.parametrize(("a", "b"), [("王芳", "玉芳"), ("李己", "李已"), ("张戊", "张戌")])
def test_look_alikes_score_moderate(a, b):
    assert 0.5 < name_similarity(a, b) < 0.9


def test_similarity_extremes_and_partials():
    assert name_similarity("张伟", "张 伟") == 1.0
    assert name_similarity("张三", "李四") == 0.0
    assert name_similarity("张三", "李三") == 0.0
    assert name_similarity("王女士", "王芳") == 0.5
    assert name_similarity("王女士", "李芳") == 0.0
    assert name_similarity("匿名", "王芳") == 0.0
    assert name_similarity(parse_name("王芳"), "王芳") == 1.0
    assert 0.0 < name_similarity("张伟", "张三") < 0.5


@pytest.mark.parametrize(("traditional", "simplified"),
                         [("鄺國齊", "邝国齐"), ("歐陽麗華", "欧阳丽华"), ("聶鐵軍", "聂铁军")])
def test_traditional_characters_fold_by_dictionary_not_by_list(traditional, simplified):
    # none of these surnames or given-name characters was ever listed in our code
    assert parse_name(traditional).full == simplified
    assert name_similarity(traditional, simplified) == 1.0


def test_a_lone_surrogate_is_dropped_not_fatal():
    assert parse_name("王\ud800芳").full == "王芳"
