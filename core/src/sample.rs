//! A deterministic sample community as a station's CSV sheet: Chinese names, areas,
//! buildings and the vulnerability tags in realistic proportions. Benchmarks, tests and
//! the demo server use it; the same seed always gives the same sheet.

use std::fmt::Write;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "单", "欧阳", "解",
    "查",
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "玉兰", "红", "志强",
    "建国", "淑珍", "凤英", "海燕", "小红", "子涵", "梓轩", "欣怡", "浩然", "雨桐", "国强",
];

const STREETS: &[&str] = &["中南路街道", "水果湖街道"];
const COMMUNITIES: &[&str] = &["丽岛社区", "紫阳社区", "东亭社区", "宏祥社区", "翠柳社区"];

/// Tags and how often they occur, in thousandths of residents.
const TAGS: &[(&str, u64)] = &[
    ("独居老人", 80),
    ("重度残疾", 30),
    ("困境儿童", 10),
    ("滞留人员", 20),
    ("一线人员家属", 30),
    ("孕产妇", 10),
    ("慢性病", 150),
    ("低保", 40),
];

/// A small fast generator (xorshift64*), enough for sample data.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An element of a slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A CSV sheet (Chinese header) of `residents` residents in households of one to four.
pub fn residents_csv(residents: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(residents * 110);
    out.push_str("区,街道,社区,网格,楼栋,门牌,地址,姓名,性别,出生年份,手机,标签\n");
    let mut made = 0;
    let mut household = 0u64;
    while made < residents {
        household += 1;
        // 24 households to a building, numbered across the street, so every household
        // has its own building and unit.
        let b = household / 24;
        let i = household % 24;
        let street = STREETS[(b % 2) as usize];
        let community = COMMUNITIES[(b / 2 % 5) as usize];
        let grid = b / 10 % 6 + 1;
        let building = b + 1;
        let unit = format!("{}-{}0{}", i / 8 + 1, i % 8 / 2 + 1, i % 2 + 1);
        let size = 1 + rng.below(4) as usize;
        let surname = *rng.pick(SURNAMES);
        let mut names: Vec<String> = Vec::new();
        for _ in 0..size.min(residents - made) {
            made += 1;
            // One household has no two people of the same name: a sheet's rows are keyed
            // by household, name and birth year.
            let mut name = format!("{surname}{}", rng.pick(GIVEN));
            while names.contains(&name) {
                name = format!("{surname}{}", rng.pick(GIVEN));
            }
            names.push(name.clone());
            let sex = if rng.below(2) == 0 { "男" } else { "女" };
            let year = 1930 + rng.below(90);
            let phone = if rng.below(10) < 8 {
                format!("1{}{:09}", 3 + rng.below(7), rng.below(1_000_000_000))
            } else {
                String::new()
            };
            let mut tags: Vec<&str> = Vec::new();
            for (tag, per_mille) in TAGS {
                if rng.below(1000) < *per_mille {
                    tags.push(tag);
                }
            }
            let _ = writeln!(
                out,
                "武昌区,{street},{community},第{grid}网格,{building}栋,{unit},{community}{building}栋{unit},{name},{sex},{year},{phone},{}",
                tags.join("、")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_seed_same_sheet_and_the_size_asked() {
        let a = super::residents_csv(500, 7);
        assert_eq!(a, super::residents_csv(500, 7));
        assert_ne!(a, super::residents_csv(500, 8));
        assert_eq!(a.lines().count(), 501);
    }
}
