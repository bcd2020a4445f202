//! One string field of a stored record, read without parsing the rest of it.
//!
//! Reads that filter the records they return by one field (a search by each
//! candidate's name, a logbook page by each tick's climber) need that field only,
//! and it comes early in a record of a few hundred bytes: parsing the whole record
//! for it, when reading it already checked that it is JSON, doubled the cost of a
//! search over a list. The parse here stops at the field.

use memchr::memmem;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// The string `field` of the JSON object `json`: `Ok(None)` when the object has no
/// such field, `Err` when `json` is not an object or the field is not a string.
pub fn string_field(json: &str, field: &str) -> Result<Option<String>, serde_json::Error> {
    let mut found = None;
    let reader = FieldReader {
        field,
        found: &mut found,
    };
    let outcome = serde_json::Deserializer::from_str(json).deserialize_map(reader);
    match (found, outcome) {
        // The visitor stops with an error as soon as it has the field (serde_json
        // would otherwise parse on to the end of the object).
        (Some(value), _) => Ok(Some(value)),
        (None, Ok(())) => Ok(None),
        (None, Err(e)) => Err(e),
    }
}

/// Whether a record's string field `key` has a given value, tested on the text
/// first. The store's records are compact JSON in which the field is written
/// `"key":"value"`, and that text cannot occur anywhere else in a record none of
/// whose nested objects has such a key (a quote inside a string is escaped), so
/// finding it settles the question without parsing; not finding it (other
/// spacing, an escaped value, another value) is settled by [`string_field`].
/// The test is what a page of records listed under one area runs for each: a
/// parse per record cost a page of 50 a quarter more.
pub struct FieldIs {
    key: String,
    value: String,
    text: memmem::Finder<'static>,
}

impl FieldIs {
    pub fn new(key: &str, value: &str) -> Self {
        // `"key":"value"`, each escaped as serde_json writes it.
        let text = format!("{}:{}", quoted(key), quoted(value));
        Self {
            key: key.to_owned(),
            value: value.to_owned(),
            text: memmem::Finder::new(text.as_bytes()).into_owned(),
        }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the JSON object `json` has the field at the value.
    pub fn holds(&self, json: &str) -> Result<bool, serde_json::Error> {
        if self.text.find(json.as_bytes()).is_some() {
            return Ok(true);
        }
        Ok(string_field(json, &self.key)?.as_deref() == Some(self.value.as_str()))
    }
}

fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

struct FieldReader<'f> {
    field: &'f str,
    found: &'f mut Option<String>,
}

impl<'de> Visitor<'de> for FieldReader<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(is_field) = map.next_key_seed(KeyIs(self.field))? {
            if is_field {
                *self.found = Some(map.next_value()?);
                return Err(de::Error::custom("stopped at the field"));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// Whether a key is `.0`, compared without allocating it.
struct KeyIs<'f>(&'f str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{string_field, FieldIs};

    #[test]
    fn the_field_is_read_wherever_it_is() {
        let json = r#"{"id":"c1","version":3,"grades":{"yds":"5.9"},"name":"Crimson \"Roof\" é","tags":[1,{"name":"inner"}]}"#;
        assert_eq!(
            string_field(json, "name").unwrap().as_deref(),
            Some("Crimson \"Roof\" é")
        );
        assert_eq!(string_field(json, "id").unwrap().as_deref(), Some("c1"));
        // Nested fields of the same name are not the field.
        assert_eq!(
            string_field(r#"{"a":{"name":"inner"}}"#, "name").unwrap(),
            None
        );
        // Escaped keys still compare by their text.
        assert_eq!(
            string_field(r#"{"n\u0061me":"escaped key"}"#, "name")
                .unwrap()
                .as_deref(),
            Some("escaped key")
        );
    }

    #[test]
    fn a_missing_field_or_another_type_is_told_apart() {
        assert_eq!(string_field(r#"{"id":"c1"}"#, "name").unwrap(), None);
        assert!(string_field(r#"{"name":7}"#, "name").is_err());
        assert!(string_field("[1,2]", "name").is_err());
    }

    #[test]
    fn a_field_test_agrees_with_reading_the_field() {
        let at_a = FieldIs::new("area_id", "a");
        for (json, holds) in [
            (r#"{"id":"c1","name":"x","area_id":"a"}"#, true),
            (r#"{"id":"c1","area_id":"b"}"#, false),
            (r#"{"id":"c1","area_id":"ab"}"#, false),
            // Other spacing and an escaped value are found by the parse.
            (r#"{"id":"c1", "area_id" : "a"}"#, true),
            (r#"{"id":"c1","area_id":"\u0061"}"#, true),
            // The field's text inside a string is not the field.
            (r#"{"name":"\"area_id\":\"a\"","area_id":"b"}"#, false),
            (r#"{"id":"c1"}"#, false),
        ] {
            assert_eq!(at_a.holds(json).unwrap(), holds, "{json}");
        }
        assert!(at_a.holds(r#"{"area_id":7}"#).is_err());
        assert_eq!(at_a.value(), "a");
    }
}
