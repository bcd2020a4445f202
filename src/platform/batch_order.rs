//! A batch read's answer put back in the order of the keys asked.
//!
//! `wasi:keyvalue/batch.get-many` answers with (key, value) pairs, and backends
//! differ in how: some omit absent keys, some answer in another order, and the
//! SQL-backed ones answer a key asked twice once (`WHERE key IN (...)`). A page
//! can ask for one record twice (an id listed under two areas, one entry left by
//! a cut-off move), so every key asked gets its value, repeats included.

/// The values of `keys`, in their order, from the pairs a batch read returned.
/// They mostly come in the order asked, so each key is looked for where the last
/// one was found first: one comparison a key instead of hashing them all.
pub fn in_key_order(
    keys: &[String],
    found: Vec<(String, Option<Vec<u8>>)>,
) -> Vec<Option<Vec<u8>>> {
    let (found_keys, mut values): (Vec<String>, Vec<Option<Vec<u8>>>) = found.into_iter().unzip();
    // Which position of `keys` took each pair's value.
    let mut taken_by: Vec<Option<usize>> = vec![None; found_keys.len()];
    let mut out: Vec<Option<Vec<u8>>> = Vec::with_capacity(keys.len());
    let mut next = 0;
    for (pos, key) in keys.iter().enumerate() {
        let mut asked_before = None;
        let at = (next..found_keys.len()).chain(0..next).find(|&i| {
            if found_keys[i] != *key {
                return false;
            }
            match taken_by[i] {
                None => true,
                Some(earlier) => {
                    asked_before = Some(earlier);
                    false
                }
            }
        });
        out.push(match at {
            Some(i) => {
                next = i + 1;
                taken_by[i] = Some(pos);
                values[i].take()
            }
            // Absent, or asked before and answered once: the earlier answer.
            None => asked_before.and_then(|earlier| out[earlier].clone()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::in_key_order;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|k| k.to_string()).collect()
    }

    fn pair(key: &str, value: Option<&str>) -> (String, Option<Vec<u8>>) {
        (key.to_owned(), value.map(|v| v.as_bytes().to_vec()))
    }

    fn text(values: Vec<Option<Vec<u8>>>) -> Vec<Option<String>> {
        values
            .into_iter()
            .map(|v| v.map(|b| String::from_utf8(b).unwrap()))
            .collect()
    }

    #[test]
    fn answers_come_back_in_the_order_asked() {
        let asked = keys(&["a", "b", "c"]);
        let s = |v: &str| Some(v.to_owned());
        // In order, with absent keys answered as such.
        let found = vec![pair("a", Some("1")), pair("b", None), pair("c", Some("3"))];
        assert_eq!(text(in_key_order(&asked, found)), [s("1"), None, s("3")]);
        // Shuffled, with absent keys left out.
        let found = vec![pair("c", Some("3")), pair("a", Some("1"))];
        assert_eq!(text(in_key_order(&asked, found)), [s("1"), None, s("3")]);
    }

    #[test]
    fn a_key_asked_twice_gets_its_value_twice() {
        let asked = keys(&["x", "a", "x", "b", "x"]);
        let s = |v: &str| Some(v.to_owned());
        // Answered once (a SQL backend), or once per asking.
        let once = vec![pair("x", Some("7")), pair("a", Some("1"))];
        let each = vec![
            pair("x", Some("7")),
            pair("a", Some("1")),
            pair("x", Some("7")),
            pair("b", None),
            pair("x", Some("7")),
        ];
        for found in [once, each] {
            assert_eq!(
                text(in_key_order(&asked, found)),
                [s("7"), s("1"), s("7"), None, s("7")]
            );
        }
    }
}
