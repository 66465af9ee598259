//! The ways a command can be refused.

use serde::Serialize;
use uuid::Uuid;

/// One failing field, with a stable code for programs and a message an admin could show a buyer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), code: code.into(), message: message.into() }
    }

    /// The same error, reported under a parent field (`specs` + `length` → `specs.length`).
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() { parent.to_owned() } else { format!("{parent}.{}", self.field) };
        self
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DomainError {
    /// Every failing field (HTTP 422).
    #[error("the command has {} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// A referenced thing does not exist (HTTP 404).
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String, field: Option<&'static str> },
    /// The command conflicts with the current state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// An update (an upsert of an existing record) would change a field no update changes, such
    /// as a product's family (HTTP 409, naming the field with code `unchangeable`).
    #[error("{message}")]
    Unchangeable { field: &'static str, message: String },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn unchangeable(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Unchangeable { field, message: message.into() }
    }

    pub fn not_found(entity: &'static str, id: impl std::fmt::Display) -> Self {
        DomainError::NotFound { entity, id: id.to_string(), field: None }
    }

    /// An id given in a command's body that names nothing.
    pub fn referenced(entity: &'static str, id: Uuid, field: &'static str) -> Self {
        DomainError::NotFound { entity, id: id.to_string(), field: Some(field) }
    }
}

/// Collects field errors and turns them into one `DomainError::Invalid` at the end.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}
