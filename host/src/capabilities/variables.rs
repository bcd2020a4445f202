//! `fermyon:spin/variables@2.0.0`: application variables from `--var NAME=VALUE`
//! flags and `SPIN_VARIABLE_<NAME>` environment variables, as Spin resolves them.

use anyhow::{bail, Result};
use bindings::fermyon::spin::variables;
use std::collections::HashMap;
use wasmtime::component::{HasSelf, Linker};

/// Host bindings of `fermyon:spin/variables` (wit/deps/spin).
mod bindings {
    wasmtime::component::bindgen!({
        inline: "package climbing:host-variables;
                 world variables { import fermyon:spin/variables@2.0.0; }",
        path: "../wit/deps/spin",
    });
}

/// The environment prefix Spin's env provider reads (`SPIN_VARIABLE_GREETING`
/// defines `greeting`).
pub const ENV_PREFIX: &str = "SPIN_VARIABLE_";

#[derive(Debug, Default, Clone)]
pub struct Variables {
    values: HashMap<String, String>,
}

impl Variables {
    /// Environment first, then flags, so flags win. Invalid names in flags are
    /// errors; in the environment they are reported and skipped (the environment
    /// holds much that is not ours).
    pub fn from_sources(
        env: impl IntoIterator<Item = (String, String)>,
        flags: &[(String, String)],
    ) -> Result<Self> {
        let mut values = HashMap::new();
        for (name, value) in env {
            let Some(suffix) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let var = suffix.to_ascii_lowercase();
            match validate_name(&var) {
                Ok(()) => {
                    values.insert(var, value);
                }
                Err(reason) => eprintln!("climbing-host: ignoring {name}: {reason}"),
            }
        }
        for (name, value) in flags {
            if let Err(reason) = validate_name(name) {
                bail!("invalid variable name {name:?}: {reason}");
            }
            values.insert(name.clone(), value.clone());
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Result<String, variables::Error> {
        validate_name(name)
            .map_err(|reason| variables::Error::InvalidName(format!("{name:?}: {reason}")))?;
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| variables::Error::Undefined(format!("no variable for {name:?}")))
    }

    /// The value of `name`, if defined.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Defines `name` (a valid name; the host's own settings, e.g. a generated secret).
    pub fn set(&mut self, name: &str, value: String) {
        debug_assert!(validate_name(name).is_ok(), "{name}");
        self.values.insert(name.to_owned(), value);
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
}

/// Spin's rule for variable names (crates/expressions `Key::validate`): lowercase
/// ASCII letters, digits and single underscores; starts with a letter, ends with a
/// letter or digit.
pub fn validate_name(name: &str) -> Result<(), String> {
    let Some(first) = name.bytes().next() else {
        return Err("must not be empty".into());
    };
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(format!(
            "invalid character {bad:?}; names may contain only lowercase letters, digits and underscores"
        ));
    }
    if !first.is_ascii_lowercase() {
        return Err("must start with a lowercase ASCII letter".into());
    }
    if !name
        .bytes()
        .last()
        .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        return Err("must end with a lowercase ASCII letter or digit".into());
    }
    if name.contains("__") {
        return Err("must not contain consecutive underscores".into());
    }
    Ok(())
}

/// Per-store view handed to the bindings.
/// Links `fermyon:spin/variables` to the [`VariablesHost`] that `get` finds in a
/// request's state.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut VariablesHost,
) -> Result<()> {
    variables::add_to_linker::<_, HasSelf<VariablesHost>>(linker, get)?;
    Ok(())
}

/// A `--var NAME=VALUE` flag, checked (for clap's `value_parser`).
pub fn parse_flag(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))?;
    validate_name(name).map_err(|reason| format!("variable name {name:?}: {reason}"))?;
    Ok((name.to_owned(), value.to_owned()))
}

pub struct VariablesHost(pub std::sync::Arc<Variables>);

impl variables::Host for VariablesHost {
    fn get(&mut self, name: String) -> Result<String, variables::Error> {
        self.0.get(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_spin_rules() {
        for ok in ["a", "greeting", "jwt_secret", "a1", "x_1_y"] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "Greeting", "1a", "_a", "a_", "a__b", "a-b", "a.b", "é"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_then_flags() {
        let env = vec![
            ("SPIN_VARIABLE_GREETING".to_string(), "env".to_string()),
            ("SPIN_VARIABLE_ONLY_ENV".to_string(), "e".to_string()),
            ("SPIN_VARIABLE_BAD__NAME".to_string(), "x".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ];
        let flags = vec![("greeting".to_string(), "flag".to_string())];
        let vars = Variables::from_sources(env, &flags).unwrap();
        assert_eq!(vars.get("greeting").unwrap(), "flag");
        assert_eq!(vars.get("only_env").unwrap(), "e");
        assert!(matches!(
            vars.get("path"),
            Err(variables::Error::Undefined(_))
        ));
        assert!(matches!(
            vars.get("Greeting"),
            Err(variables::Error::InvalidName(_))
        ));
        assert!(Variables::from_sources(vec![], &[("Bad".into(), "x".into())]).is_err());
    }
}
