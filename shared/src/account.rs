//! Naming an AWS account in a notice: by its id and, when it has one, its
//! alias (IAM `ListAccountAliases`), looked up once per warm function, in a
//! member account through its spoke role ([`crate::reach`]).
//!
//! A lookup that fails is logged and the account named by its id alone: a
//! notice never waits on, or fails because of, the alias.
//! See <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccountAliases.html>.

#[cfg(feature = "aws")]
mod lookup;
#[cfg(feature = "aws")]
pub use lookup::{ALIAS_LOOKUP_TIMEOUT, AccountAliases, AccountNames, AliasError};

/// An account as a notice names it: by alias when it has one, and by id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountLabel {
    pub alias: Option<String>,
    pub id: Option<String>,
}

impl AccountLabel {
    /// For a subject or an SMS: the alias, else the id.
    pub fn short(&self) -> &str {
        self.alias
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or("unknown account")
    }

    /// For the email and chat: `alias (id)`, or whichever is known.
    pub fn long(&self) -> String {
        match (&self.alias, &self.id) {
            (Some(alias), Some(id)) => format!("{alias} ({id})"),
            _ => self.short().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_reads_alias_then_id() {
        let both = AccountLabel {
            alias: Some("payments-prod".into()),
            id: Some("444455556666".into()),
        };
        assert_eq!(both.short(), "payments-prod");
        assert_eq!(both.long(), "payments-prod (444455556666)");
        let id_only = AccountLabel {
            alias: None,
            id: Some("444455556666".into()),
        };
        assert_eq!(id_only.short(), "444455556666");
        assert_eq!(id_only.long(), "444455556666");
        assert_eq!(AccountLabel::default().long(), "unknown account");
    }
}
