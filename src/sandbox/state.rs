//! The sandbox's company: its users and payroll agreements in memory, the rules Kleer applies
//! to writes, and the optional state file.

use super::rng::SharedSplitMix64;
use super::{Faults, InjectedFaults, SandboxConfig, seed};
use crate::kleer::wire::{PayrollUser, PayrollUserWrite, User, UserRef, UserWrite};
use crate::model::KleerUserId;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// The owner of the token: answered by `user/me`, never an employee, never removed.
pub const INTEGRATION_USER: KleerUserId = KleerUserId(1);
/// A second non-employee, so that "every user is an employee" bugs show.
pub const ACCOUNTANT_USER: KleerUserId = KleerUserId(2);

/// Why the sandbox refuses a request, as Kleer would say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

/// The data, as kept in memory and in the state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct Store {
    next_id: i64,
    #[serde(with = "by_id")]
    users: BTreeMap<KleerUserId, User>,
    #[serde(with = "by_id")]
    payroll_users: BTreeMap<KleerUserId, PayrollUser>,
}

impl Store {
    fn new() -> Self {
        let mut store = Self {
            next_id: 1,
            users: BTreeMap::new(),
            payroll_users: BTreeMap::new(),
        };
        store.ensure_standing_users();
        store
    }

    fn seeded(count: usize) -> Self {
        let mut store = Self::new();
        for (user, payroll) in seed::employees(count) {
            store.insert_employee(&user, &payroll);
        }
        store
    }

    /// The integration user and the accountant exist in every company, a loaded one included.
    fn ensure_standing_users(&mut self) {
        let standing = [
            (
                INTEGRATION_USER,
                "Kleer Integration",
                "integration@example.se",
            ),
            (
                ACCOUNTANT_USER,
                "Birgitta Revisor",
                "birgitta@redovisningsbyran.example.se",
            ),
        ];
        for (id, name, email) in standing {
            self.users.entry(id).or_insert_with(|| User {
                id,
                name: name.into(),
                email: Some(email.into()),
                active: true,
                ..Default::default()
            });
        }
        let highest = self.users.keys().next_back().map_or(0, |id| id.0);
        self.next_id = self.next_id.max(highest + 1);
    }

    fn allocate_id(&mut self) -> KleerUserId {
        let id = KleerUserId(self.next_id);
        self.next_id += 1;
        id
    }

    pub fn users(&self) -> Vec<User> {
        self.users.values().cloned().collect()
    }

    pub fn payroll_users(&self) -> Vec<PayrollUser> {
        self.payroll_users.values().cloned().collect()
    }

    pub fn user(&self, id: KleerUserId) -> Result<User, Refusal> {
        self.users
            .get(&id)
            .cloned()
            .ok_or_else(|| Refusal::not_found(format!("no user with id {id}")))
    }

    pub fn user_by_foreign_id(&self, foreign_id: &str) -> Result<User, Refusal> {
        self.users
            .values()
            .find(|user| user.foreign_id.as_deref() == Some(foreign_id))
            .cloned()
            .ok_or_else(|| Refusal::not_found(format!("no user with foreign-id {foreign_id}")))
    }

    pub fn payroll_user(&self, id: KleerUserId) -> Result<PayrollUser, Refusal> {
        self.user(id)?;
        self.payroll_users
            .get(&id)
            .cloned()
            .ok_or_else(|| Refusal::not_found(format!("user {id} has no payroll agreement")))
    }

    /// A foreign id names one user; otherwise a retried export could not find its user.
    fn check_foreign_id(
        &self,
        write: &UserWrite,
        owner: Option<KleerUserId>,
    ) -> Result<(), Refusal> {
        let Some(foreign_id) = write.foreign_id.as_deref().filter(|f| !f.is_empty()) else {
            return Ok(());
        };
        match self
            .users
            .values()
            .find(|user| user.foreign_id.as_deref() == Some(foreign_id))
        {
            Some(other) if Some(other.id) != owner => Err(Refusal::bad_request(format!(
                "foreign-id {foreign_id} is already used by user {}",
                other.id
            ))),
            _ => Ok(()),
        }
    }

    pub fn create_user(&mut self, write: &UserWrite) -> Result<KleerUserId, Refusal> {
        if write.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(Refusal::bad_request("name is required"));
        }
        self.check_foreign_id(write, None)?;
        let id = self.allocate_id();
        let mut user = User {
            id,
            active: true,
            ..Default::default()
        };
        apply_user(&mut user, write);
        self.users.insert(id, user);
        Ok(id)
    }

    pub fn update_user(&mut self, id: KleerUserId, write: &UserWrite) -> Result<User, Refusal> {
        self.user(id)?;
        if write.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(Refusal::bad_request("name cannot be empty"));
        }
        self.check_foreign_id(write, Some(id))?;
        let user = self.users.get_mut(&id).expect("checked above");
        apply_user(user, write);
        Ok(user.clone())
    }

    pub fn create_payroll_user(
        &mut self,
        id: KleerUserId,
        write: &PayrollUserWrite,
    ) -> Result<(), Refusal> {
        self.user(id)?;
        if self.payroll_users.contains_key(&id) {
            return Err(Refusal::bad_request(format!(
                "user {id} already has a payroll agreement"
            )));
        }
        if write.ssn.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Err(Refusal::bad_request("ssn is required"));
        }
        if write.employment_start_date.is_none() {
            return Err(Refusal::bad_request("employment-start-date is required"));
        }
        let mut payroll = PayrollUser {
            user: UserRef { id },
            ..Default::default()
        };
        apply_payroll(&mut payroll, write);
        self.payroll_users.insert(id, payroll);
        Ok(())
    }

    pub fn update_payroll_user(
        &mut self,
        id: KleerUserId,
        write: &PayrollUserWrite,
    ) -> Result<PayrollUser, Refusal> {
        self.payroll_user(id)?;
        let payroll = self.payroll_users.get_mut(&id).expect("checked above");
        apply_payroll(payroll, write);
        Ok(payroll.clone())
    }

    /// Test and demo data go in as given, without the checks a request meets.
    fn insert_employee(&mut self, user: &UserWrite, payroll: &PayrollUserWrite) -> KleerUserId {
        let id = self.allocate_id();
        let mut new_user = User {
            id,
            active: true,
            ..Default::default()
        };
        apply_user(&mut new_user, user);
        let mut agreement = PayrollUser {
            user: UserRef { id },
            ..Default::default()
        };
        apply_payroll(&mut agreement, payroll);
        self.users.insert(id, new_user);
        self.payroll_users.insert(id, agreement);
        id
    }
}

fn apply_user(user: &mut User, write: &UserWrite) {
    if let Some(name) = &write.name {
        user.name = name.clone();
    }
    if let Some(email) = &write.email {
        user.email = Some(email.clone());
    }
    if let Some(foreign_id) = &write.foreign_id {
        user.foreign_id = Some(foreign_id.clone());
    }
    if let Some(active) = write.active {
        user.active = active;
    }
}

/// Kleer's partial write: a field left out keeps its value.
fn apply_payroll(payroll: &mut PayrollUser, write: &PayrollUserWrite) {
    macro_rules! keep_unless_sent {
        ($($field:ident),*) => {
            $(if let Some(value) = &write.$field {
                payroll.$field = Some(value.clone());
            })*
        };
    }
    keep_unless_sent!(
        ssn,
        address1,
        address2,
        zip_code,
        state,
        country_code,
        phone,
        tax_table,
        tax_table_column,
        clearing_nr,
        account_nr,
        employment_start_date,
        monthly_salary,
        monthly_salary_start_date,
        manager_user
    );
    // The wrapper with a null date is how a client clears the end date.
    if let Some(end) = &write.employment_end_date {
        payroll.employment_end_date = end.date.is_some().then(|| end.clone());
    }
}

/// Everything the server, the middleware and the handle share.
pub(super) struct Shared {
    pub token: String,
    pub company_id: String,
    state_file: Option<PathBuf>,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    pub dice: SharedSplitMix64,
    requests: AtomicU64,
    hangs: AtomicU64,
    throttles: AtomicU64,
    errors: AtomicU64,
    /// Flips to `true` once: stops the server and releases requests held by the hang fault.
    pub shutdown: watch::Sender<bool>,
}

/// A handle on a sandbox's data and behaviour, for tests and the embedded demo. Cheap to clone;
/// every clone sees the same company.
#[derive(Clone)]
pub struct SandboxHandle {
    pub(super) shared: Arc<Shared>,
}

impl SandboxHandle {
    /// The company of `config`: loaded from the state file when there is one, seeded otherwise.
    pub fn new(config: SandboxConfig) -> io::Result<Self> {
        let store = match &config.state_file {
            Some(path) if path.exists() => load(path)?,
            _ => Store::seeded(config.seed),
        };
        let handle = Self {
            shared: Arc::new(Shared {
                token: config.token,
                company_id: config.company_id,
                state_file: config.state_file,
                store: Mutex::new(store),
                faults: Mutex::new(config.faults),
                dice: SharedSplitMix64::new(0x6661_756c_7473),
                requests: AtomicU64::new(0),
                hangs: AtomicU64::new(0),
                throttles: AtomicU64::new(0),
                errors: AtomicU64::new(0),
                shutdown: watch::channel(false).0,
            }),
        };
        // Written at once, so that a restart finds the seeded company even before any change.
        if let Some(path) = &handle.shared.state_file {
            save(path, &handle.lock())?;
        }
        Ok(handle)
    }

    pub fn users(&self) -> Vec<User> {
        self.lock().users()
    }

    pub fn payroll_users(&self) -> Vec<PayrollUser> {
        self.lock().payroll_users()
    }

    /// Users with a payroll agreement.
    pub fn employee_count(&self) -> usize {
        self.lock().payroll_users.len()
    }

    /// Removes a user and its agreement, as if deleted in Kleer. The integration user stays.
    pub fn remove_user(&self, id: KleerUserId) -> bool {
        if id == INTEGRATION_USER {
            return false;
        }
        self.mutate(|store| {
            store.payroll_users.remove(&id);
            store.users.remove(&id).map(drop).ok_or(())
        })
        .is_ok()
    }

    /// Adds an employee (user and agreement) directly, without Kleer's checks.
    pub fn insert_employee(&self, user: UserWrite, payroll: PayrollUserWrite) -> KleerUserId {
        self.mutate(|store| Ok::<_, ()>(store.insert_employee(&user, &payroll)))
            .expect("infallible")
    }

    /// Changes a user as if edited in Kleer; false when there is no such user.
    pub fn update_user(&self, id: KleerUserId, user: &UserWrite) -> bool {
        self.mutate(|store| store.update_user(id, user)).is_ok()
    }

    /// Changes an agreement as if edited in Kleer (partially); false when there is none.
    pub fn update_payroll_user(&self, id: KleerUserId, payroll: &PayrollUserWrite) -> bool {
        self.mutate(|store| store.update_payroll_user(id, payroll))
            .is_ok()
    }

    /// Requests received on the Kleer API (the control endpoint not included).
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    pub fn injected_faults(&self) -> InjectedFaults {
        InjectedFaults {
            hangs: self.shared.hangs.load(Ordering::Relaxed),
            throttles: self.shared.throttles.load(Ordering::Relaxed),
            errors: self.shared.errors.load(Ordering::Relaxed),
        }
    }

    pub fn faults(&self) -> Faults {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    pub(super) fn count_request(&self) {
        self.shared.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_hang(&self) {
        self.shared.hangs.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_throttle(&self) {
        self.shared.throttles.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_error(&self) {
        self.shared.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere while holding the lock leaves valid data: each change is one insert.
        self.shared.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a change and, when it succeeds, saves the state file before anyone else can change
    /// anything: saves then happen in the order of the changes. Writing under the lock blocks a
    /// worker thread for a moment; for a test double with a small file that is the simpler trade.
    pub(super) fn mutate<T, E>(
        &self,
        change: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut store = self.lock();
        let result = change(&mut store)?;
        if let Some(path) = &self.shared.state_file
            && let Err(e) = save(path, &store)
        {
            // The answer still reflects memory, which stays the truth for this run.
            tracing::error!(path = %path.display(), error = %e, "sandbox: could not save the state file");
        }
        Ok(result)
    }
}

fn load(path: &Path) -> io::Result<Store> {
    let text = std::fs::read(path)?;
    let mut store: Store = serde_json::from_slice(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("sandbox state file {}: {e}", path.display()),
        )
    })?;
    store.ensure_standing_users();
    Ok(store)
}

/// Temp file and rename, so a crash mid-write leaves the previous state rather than half a file.
fn save(path: &Path, store: &Store) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(store).map_err(io::Error::other)?;
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    std::fs::write(&temp, json)?;
    std::fs::rename(&temp, path)
}

/// The maps are keyed by id in memory and written as plain lists, the way Kleer lists them.
mod by_id {
    use crate::kleer::wire::{PayrollUser, User};
    use crate::model::KleerUserId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub trait Keyed {
        fn key(&self) -> KleerUserId;
    }

    impl Keyed for User {
        fn key(&self) -> KleerUserId {
            self.id
        }
    }

    impl Keyed for PayrollUser {
        fn key(&self) -> KleerUserId {
            self.user_id()
        }
    }

    pub fn serialize<S: Serializer, T: Serialize>(
        map: &BTreeMap<KleerUserId, T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de> + Keyed>(
        deserializer: D,
    ) -> Result<BTreeMap<KleerUserId, T>, D::Error> {
        Ok(Vec::<T>::deserialize(deserializer)?
            .into_iter()
            .map(|item| (item.key(), item))
            .collect())
    }
}
