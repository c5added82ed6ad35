//! Pinyin keys of a Chinese name, so a worker can type "zhangwei" or "zw" for 张伟.
//! Surnames have their own readings (单 is Shan, 曾 is Zeng, 解 is Xie), which the
//! general dictionary gets wrong; both readings are kept so either finds the person.

use pinyin::ToPinyin;

/// Compound surnames and their reading.
const COMPOUND_SURNAMES: &[(&str, &[&str])] = &[
    ("欧阳", &["ou", "yang"]),
    ("司马", &["si", "ma"]),
    ("诸葛", &["zhu", "ge"]),
    ("上官", &["shang", "guan"]),
    ("东方", &["dong", "fang"]),
    ("皇甫", &["huang", "fu"]),
    ("尉迟", &["yu", "chi"]),
    ("万俟", &["mo", "qi"]),
    ("长孙", &["zhang", "sun"]),
    ("单于", &["chan", "yu"]),
    ("令狐", &["ling", "hu"]),
    ("慕容", &["mu", "rong"]),
    ("澹台", &["tan", "tai"]),
    ("公孙", &["gong", "sun"]),
    ("夏侯", &["xia", "hou"]),
];

/// Single-character surnames whose surname reading differs from the common one.
const SURNAMES: &[(char, &str)] = &[
    ('单', "shan"),
    ('曾', "zeng"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('朴', "piao"),
    ('查', "zha"),
    ('盖', "ge"),
    ('乐', "yue"),
    ('缪', "miao"),
    ('覃', "qin"),
    ('翟', "zhai"),
    ('种', "chong"),
    ('重', "chong"),
    ('员', "yun"),
    ('秘', "bi"),
    ('祭', "zhai"),
    ('尉', "yu"),
    ('召', "shao"),
    ('卜', "bu"),
    ('薄', "bo"),
    ('句', "gou"),
    ('折', "she"),
    ('华', "hua"),
    ('任', "ren"),
    ('纪', "ji"),
    ('繁', "po"),
    ('能', "nai"),
    ('黑', "he"),
    ('隗', "wei"),
    ('沈', "shen"),
    ('长', "chang"),
    ('燕', "yan"),
    ('过', "guo"),
    ('宿', "su"),
    ('阚', "kan"),
];

/// Full pinyin spellings of `name` (lowercase, no tones, ü as v), the surname reading
/// first, then the common reading when it differs. Non-Chinese letters and digits are
/// kept as they are.
pub fn spellings(name: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
    let common: Vec<String> = chars.iter().filter_map(|c| syllable(*c)).collect();
    let mut out = Vec::with_capacity(2);
    if let Some(surname) = surname_reading(&chars) {
        let rest = chars[surname.len()..].iter().filter_map(|c| syllable(*c));
        let mut s: Vec<String> = surname.iter().map(|s| s.to_string()).collect();
        s.extend(rest);
        out.push(s);
    }
    if out.first() != Some(&common) && !common.is_empty() {
        out.push(common);
    }
    out
}

/// Full spellings and initials as strings: (["zhangwei"], ["zw"]).
pub fn keys(name: &str) -> (Vec<String>, Vec<String>) {
    let mut full = Vec::new();
    let mut initials = Vec::new();
    for syllables in spellings(name) {
        let f: String = syllables.concat();
        let i: String = syllables.iter().filter_map(|s| s.chars().next()).collect();
        if !full.contains(&f) {
            full.push(f);
        }
        if !initials.contains(&i) {
            initials.push(i);
        }
    }
    (full, initials)
}

fn surname_reading(chars: &[char]) -> Option<Vec<&'static str>> {
    if chars.len() >= 3 {
        let two: String = chars[..2].iter().collect();
        if let Some((_, r)) = COMPOUND_SURNAMES.iter().find(|(s, _)| *s == two) {
            return Some(r.to_vec());
        }
    }
    let first = *chars.first()?;
    SURNAMES
        .iter()
        .find(|(c, _)| *c == first)
        .map(|(_, r)| vec![*r])
}

fn syllable(c: char) -> Option<String> {
    if let Some(p) = c.to_pinyin() {
        return Some(p.plain().replace('ü', "v"));
    }
    c.is_alphanumeric().then(|| c.to_lowercase().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_name_has_full_pinyin_and_initials() {
        let (full, initials) = keys("张伟");
        assert_eq!(full, vec!["zhangwei"]);
        assert_eq!(initials, vec!["zw"]);
    }

    #[test]
    fn polyphonic_surname_reads_as_surname_first() {
        let (full, initials) = keys("单丽");
        assert_eq!(full[0], "shanli");
        assert_eq!(initials[0], "sl");
        let (full, _) = keys("曾小红");
        assert_eq!(full[0], "zengxiaohong");
        let (full, _) = keys("解放");
        assert_eq!(full[0], "xiefang");
    }

    #[test]
    fn compound_surname_and_umlaut() {
        assert_eq!(keys("尉迟敬德").0[0], "yuchijingde");
        assert_eq!(keys("吕方").0[0], "lvfang");
    }
}
