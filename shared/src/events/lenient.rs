//! Field parsers that accept what real AWS events send rather than what the
//! documentation promises.

use serde::Deserialize;
use serde::de::{self, Deserializer};
use std::fmt::Display;
use std::str::FromStr;

/// A string with surrounding whitespace removed.
pub fn trimmed_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    Ok(value.trim().to_owned())
}

/// An optional string, trimmed; blank counts as absent.
pub fn optional_trimmed_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty()))
}

/// A string trimmed and lower-cased, for enum-like values such as `"RUNNING"`.
pub fn lowercase_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    Ok(value.trim().to_lowercase())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString<T> {
    Number(T),
    Text(String),
}

/// A number sent either as a JSON number or as a string such as `"1"`.
pub fn number_or_string<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: Display,
{
    match NumberOrString::<T>::deserialize(deserializer)? {
        NumberOrString::Number(number) => Ok(number),
        NumberOrString::Text(text) => text.trim().parse().map_err(|error| {
            de::Error::custom(format!("{} is not a number: {error}", super::quoted(&text)))
        }),
    }
}

/// Like [`number_or_string`] for an optional field; `null` and `""` count as absent.
pub fn optional_number_or_string<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: Display,
{
    match Option::<NumberOrString<T>>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrString::Number(number)) => Ok(Some(number)),
        Some(NumberOrString::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(NumberOrString::Text(text)) => text.trim().parse().map(Some).map_err(|error| {
            de::Error::custom(format!("{} is not a number: {error}", super::quoted(&text)))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Fields {
        #[serde(deserialize_with = "number_or_string")]
        page: u32,
        #[serde(default, deserialize_with = "optional_number_or_string")]
        total: Option<u32>,
        #[serde(deserialize_with = "lowercase_string")]
        state: String,
        #[serde(default, deserialize_with = "optional_trimmed_string")]
        note: Option<String>,
    }

    fn parse(value: serde_json::Value) -> Result<Fields, String> {
        serde_json::from_value(value).map_err(|error| error.to_string())
    }

    #[test]
    fn numbers_may_be_strings() {
        let fields = parse(json!({"page": "1", "total": " 3 ", "state": "x"})).unwrap();
        assert_eq!((fields.page, fields.total), (1, Some(3)));
        let fields = parse(json!({"page": 2, "total": "", "state": "x"})).unwrap();
        assert_eq!((fields.page, fields.total), (2, None));
    }

    #[test]
    fn malformed_numbers_say_what_was_sent() {
        let error = parse(json!({"page": "one", "state": "x"})).unwrap_err();
        assert!(error.contains("\"one\" is not a number"), "{error}");
    }

    #[test]
    fn enum_values_are_trimmed_and_lowercased() {
        let fields = parse(json!({"page": 1, "state": " RUNNING ", "note": "  "})).unwrap();
        assert_eq!(fields.state, "running");
        assert_eq!(fields.note, None);
    }
}
