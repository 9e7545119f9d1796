#!/usr/bin/env python3
"""Writes N realistic suggestions as NDJSON chunks (ImportRow per line) for the benchmark.

Titles and bodies (~1 KB each) are built from the vocabulary of a natural-resources and
planning bureau and of a city's people's congress: each is about one topic at one place
(a road, a district, a town) and touches one related topic, as real suggestions do;
names come from common surnames. The same seed gives the same data.

    python3 bench/gen.py OUT_DIR COUNT [CHUNK]
"""
import json
import os
import random
import sys

REGIONS = ["城区", "高新区", "经开区", "沿黄片区", "山区", "老城区", "新城区", "各县（市）", "乡镇", "农村地区", "城乡结合部", "产业集聚区"]
TOPICS = [
    "公交站点", "耕地保护", "黄河流域生态", "粮食安全", "老旧小区改造", "地下管网", "公园绿地", "公共停车设施", "历史文化街区",
    "废弃矿山修复", "河道综合治理", "农村宅基地", "不动产登记", "国土空间规划", "城市更新", "交通拥堵治理", "中小学校用地",
    "社区医疗设施", "养老服务设施", "农贸市场", "地质灾害防治", "森林防火", "湿地保护", "城市排水防涝", "垃圾分类",
    "新能源汽车充电设施", "口袋公园", "乡村振兴", "产业用地保障", "盐碱地改良", "永久基本农田", "生态廊道", "城市绿道",
    "矿产资源开发", "测绘地理信息", "闲置土地处置", "违法用地查处", "村庄规划", "城市体检", "海绵城市", "地下空间开发",
    "生态保护红线", "林长制", "古树名木保护", "水土流失治理", "高标准农田", "设施农业用地", "土地征收补偿", "安置房建设",
]
VERBS = ["加强", "推进", "优化", "完善", "加快", "规范", "合理设置", "统筹", "提升", "保障", "进一步做好", "创新"]
SUFFIXES = ["", "建设", "管理", "工作", "保护", "规划", "布局", "机制", "监管", "服务"]
PROBLEMS = [
    "存在布局不合理、配套不完善的问题", "群众反映强烈，亟待解决", "历史欠账较多，资金投入不足", "部门之间协调不够顺畅",
    "审批流程较长，办理时限不明确", "基础数据不清，底数掌握不准", "监管手段单一，执法力度不够", "规划执行刚性不足",
    "后期管护缺位，长效机制尚未建立", "群众参与度不高，宣传引导不够",
]
MEASURES = [
    "建议编制专项规划，明确目标任务和时间节点", "建议加大财政投入，积极争取上级资金支持", "建议建立部门联动机制，形成工作合力",
    "建议简化审批程序，提高办事效率", "建议开展全面摸底调查，建立信息台账", "建议加强日常巡查，严肃查处违法违规行为",
    "建议完善长效管护机制，落实管护责任和经费", "建议广泛征求群众意见，做到公开透明", "建议借鉴先进地区经验，探索创新模式",
    "建议将其纳入年度重点工作，定期督导检查", "建议充分运用信息化手段，提升管理水平", "建议做好与国土空间规划的衔接",
]
OPENINGS = ["近年来，", "随着城市化进程加快，", "在实地调研中发现，", "据群众反映，", "当前，", "从近几年的情况看，"]
PLACES = [
    "人民路", "建设路", "解放路", "东风路", "文化路", "黄河大道", "中州大道", "金水区", "二七区", "中原区", "管城区",
    "惠济区", "上街区", "龙湖镇", "柳林镇", "古荥镇", "白沙镇", "新郑", "荥阳", "巩义", "登封", "新密", "中牟",
    "航空港区", "郑东新区", "高铁站片区", "老火车站片区", "北龙湖", "南龙湖", "金水河", "熊儿河", "贾鲁河", "索须河",
    "陈砦", "燕庄", "大石桥", "紫荆山", "碧沙岗", "绿城广场", "科学大道", "农业路", "花园路", "经三路", "纬五路",
    "西三环", "北三环", "南四环", "东三环", "嵩山路", "桐柏路", "淮河路", "长江路", "陇海路", "商都路", "郑汴路",
    "未来路", "航海路", "大学路", "互助路", "京广路",
]
FILLERS = [
    "此事关系群众切身利益，社会关注度较高。", "相关部门已开展了一些工作，但效果还不明显。", "群众多次通过热线反映，希望尽快解决。",
    "这一问题在全市具有一定代表性。", "建议市政府高度重视，统筹研究解决。", "希望有关部门认真研究，给予答复。",
]
CATEGORIES = ["城乡建设", "自然资源", "生态环境", "交通运输", "农业农村", "教育", "卫生健康", "文化旅游", "民政", "公共安全", "经济发展", "社会治理"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "国建华明丽军伟芳敏静强磊洋艳勇杰娟涛超秀英霞平刚桂兰志红鹏辉玲海燕晓东文斌林峰立新宏波晨"


def name(rng):
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.8 else "")
    return rng.choice(SURNAMES) + given


def body(rng, topic, place, related):
    """About its own topic and place, once touching a related topic; ~1 KB."""
    parts = [rng.choice(OPENINGS), place, topic, rng.choice(PROBLEMS), "。", rng.choice(FILLERS)]
    parts += [place, "周边", related, "方面也", rng.choice(PROBLEMS), "。"]
    while sum(len(p) for p in parts) < 330:
        parts += ["针对", topic, "问题，", rng.choice(MEASURES), "，", rng.choice(MEASURES)[2:], "。", rng.choice(FILLERS)]
    return "".join(parts)


def rows(count, rng):
    sequence = {}
    deputies = [name(rng) for _ in range(20000)]
    for i in range(count):
        year = 2014 + i * 10 // count
        source = "npc" if rng.random() < 0.7 else "cppcc"
        n = sequence[(source, year)] = sequence.get((source, year), 0) + 1
        topic = rng.choice(TOPICS)
        place = rng.choice(PLACES) if rng.random() < 0.7 else rng.choice(REGIONS)
        where = place if rng.random() < 0.5 else ""
        title = f"关于{rng.choice(VERBS)}{where}{topic}{rng.choice(SUFFIXES)}的{'建议' if source == 'npc' else '提案'}"
        co = rng.sample(deputies, rng.choice([0, 0, 1, 2, 3]))
        proposer = rng.choice(deputies)
        yield {
            "source": source,
            "year": year,
            "external_no": f"{year % 100:02d}{n:05d}",
            "session_label": f"第{year - 2000}次会议",
            "title": title,
            "body": body(rng, topic, place, rng.choice(TOPICS)),
            "category": rng.choice(CATEGORIES),
            "keywords": [topic],
            "proposer": proposer,
            "co_signers": [c for c in co if c != proposer],
            "is_key": rng.random() < 0.03,
            "received_on": f"{year}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}",
        }


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(2023)
    f, written = None, 0
    for i, row in enumerate(rows(count, rng)):
        if i % chunk == 0:
            if f:
                f.close()
            f = open(os.path.join(out, f"chunk-{i // chunk:05d}.ndjson"), "w", encoding="utf-8")
        f.write(json.dumps(row, ensure_ascii=False))
        f.write("\n")
        written += 1
    if f:
        f.close()
    print(f"wrote {written} rows to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
