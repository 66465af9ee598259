//! Company accounts: a name unique across companies, whether they may still act, and the payment
//! terms their orders are placed on. Their users are buyers.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::DomainError;
use crate::events::{not_applicable, Change, Event, EvolveError, NewEvent, StreamType};
use crate::names::parse_name;

pub const NAME_MAX: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub id: Uuid,
    pub name: String,
    pub disabled: bool,
    /// Prepaid until set (`CompanyPaymentTermsSet`); frozen into each order at checkout.
    #[serde(default)]
    pub payment_terms: PaymentTerms,
}

/// When a company pays for its orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentTerms {
    #[default]
    Prepaid,
    Net30,
    Net60,
}

impl PaymentTerms {
    pub fn parse(text: &str) -> Option<PaymentTerms> {
        match text {
            "prepaid" => Some(PaymentTerms::Prepaid),
            "net30" => Some(PaymentTerms::Net30),
            "net60" => Some(PaymentTerms::Net60),
            _ => None,
        }
    }
}

impl Company {
    /// The event store claim that keeps company names unique (case aside).
    pub fn claim(&self) -> String {
        format!("company:{}", self.name.to_lowercase())
    }
}

fn event(id: Uuid, event: Event) -> Vec<NewEvent> {
    vec![NewEvent { stream_id: id, stream_type: StreamType::Company, event }]
}

pub fn create(id: Uuid, name: &str) -> Result<Vec<NewEvent>, DomainError> {
    let name = parse_name("name", name, NAME_MAX).map_err(|e| DomainError::Invalid(vec![e]))?;
    Ok(event(id, Event::CompanyCreated { name }))
}

/// A new name; the name it has is no change.
pub fn rename(company: &Company, name: &str) -> Result<Vec<NewEvent>, DomainError> {
    let name = parse_name("name", name, NAME_MAX).map_err(|e| DomainError::Invalid(vec![e]))?;
    if name == company.name {
        return Ok(Vec::new());
    }
    Ok(event(company.id, Event::CompanyRenamed { name: Change { from: company.name.clone(), to: name } }))
}

/// Its buyers can no longer log in or refresh. Disabling it again is no change.
pub fn disable(company: &Company) -> Result<Vec<NewEvent>, DomainError> {
    if company.disabled {
        return Ok(Vec::new());
    }
    Ok(event(company.id, Event::CompanyDisabled {}))
}

/// The terms its next orders are placed on (orders placed keep theirs). The terms it has are no
/// change.
pub fn set_payment_terms(company: &Company, terms: PaymentTerms) -> Result<Vec<NewEvent>, DomainError> {
    if company.payment_terms == terms {
        return Ok(Vec::new());
    }
    Ok(event(company.id, Event::CompanyPaymentTermsSet { terms: Change { from: company.payment_terms, to: terms } }))
}

/// A company's own events, folded.
impl Company {
    pub(crate) fn created(id: Uuid, name: &str) -> Company {
        Company { id, name: name.to_owned(), disabled: false, payment_terms: Default::default() }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<Company, EvolveError> {
        match event {
            Event::CompanyRenamed { name } => self.name = name.to.clone(),
            Event::CompanyDisabled {} => self.disabled = true,
            Event::CompanyPaymentTermsSet { terms } => self.payment_terms = terms.to,
            other => return Err(not_applicable(other, StreamType::Company.as_str())),
        }
        Ok(self)
    }
}
