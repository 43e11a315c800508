//! The demo workspace: a deterministic generator of realistic tickets in English, Korean and
//! Polish, drawn from the recurring problem families in `assets/demo/families.json`, spread
//! over the twelve months before now, with threads, assignments, pauses and — for solved
//! ones — the reply that fixed them. Written in bulk (a few thousand tickets per transaction)
//! with the same rows and events the one-by-one API writes.

use crate::clock::{to_ms, Timestamp};
use crate::events::{self, Change, EventCtx, FieldChange};
use crate::model::{Channel, MessageKind, Priority, Resolution, Role, Status, Tier};
use crate::people::NewAgent;
use crate::sla::{self, Pause, SlaFacts};
use crate::workspace::Workspace;
use crate::Result;
use rand::distr::weighted::WeightedIndex;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

const FAMILIES_JSON: &str = include_str!("../assets/demo/families.json");

#[derive(Debug, Deserialize)]
struct Catalogue {
    families: Vec<Family>,
    padding: HashMap<String, Vec<String>>,
    agent_first_replies: HashMap<String, Vec<String>>,
    customer_followups: HashMap<String, Vec<String>>,
    confirmations: HashMap<String, Vec<String>>,
    internal_notes: HashMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub struct Family {
    pub key: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub team: String,
    pub tags: Vec<String>,
    /// Weights of Urgent, High, Medium, Low.
    pub priority: [u32; 4],
    en: Texts,
    ko: Texts,
    pl: Texts,
}

#[derive(Debug, Deserialize)]
struct Texts {
    subjects: Vec<String>,
    bodies: Vec<String>,
    fix: String,
}

impl Family {
    /// The `pick`-th subject and body of this problem, in English, Korean or Polish by turns
    /// (for generated traffic such as `bench soak`), and the fix that closes it.
    pub fn sample(&self, pick: usize) -> (String, String, String) {
        let t = self.texts([Lang::En, Lang::Ko, Lang::Pl][pick % 3]);
        (t.subjects[pick / 3 % t.subjects.len()].clone(), t.bodies[pick / 3 % t.bodies.len()].clone(), t.fix.clone())
    }

    fn texts(&self, lang: Lang) -> &Texts {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
            Lang::Pl => &self.pl,
        }
    }
}

/// The problem families the demo draws from (the search benchmark measures against them).
pub fn families() -> Vec<Family> {
    catalogue().families
}

fn catalogue() -> Catalogue {
    serde_json::from_str(FAMILIES_JSON).expect("assets/demo/families.json is valid (checked by a test)")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Ko,
    Pl,
}

impl Lang {
    fn key(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
            Lang::Pl => "pl",
        }
    }
}

const AGENTS: [(&str, &str, Role, &[&str]); 8] = [
    ("Mina Park", "mina.park@casebook-demo.com", Role::Admin, &["Support", "Technical"]),
    ("Jiho Kim", "jiho.kim@casebook-demo.com", Role::Agent, &["Technical"]),
    ("Seo-yeon Lee", "seoyeon.lee@casebook-demo.com", Role::Agent, &["Support"]),
    ("Anna Kowalska", "anna.kowalska@casebook-demo.com", Role::Agent, &["Billing", "Support"]),
    ("Piotr Nowak", "piotr.nowak@casebook-demo.com", Role::Agent, &["Technical"]),
    ("Sam Taylor", "sam.taylor@casebook-demo.com", Role::Agent, &["Support"]),
    ("Priya Shah", "priya.shah@casebook-demo.com", Role::Agent, &["Billing"]),
    ("Tomasz Wiśniewski", "tomasz.wisniewski@casebook-demo.com", Role::Admin, &["Technical"]),
];
const TEAMS: [(&str, &str); 3] =
    [("Support", "sam.taylor@casebook-demo.com"), ("Technical", "piotr.nowak@casebook-demo.com"), ("Billing", "priya.shah@casebook-demo.com")];

const EN_FIRST: [&str; 12] = ["James", "Emma", "Oliver", "Sophie", "Daniel", "Grace", "Ethan", "Chloe", "Lucas", "Mia", "Noah", "Ava"];
const EN_LAST: [&str; 10] = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Clarke", "Walker", "Wright", "Hughes"];
const EN_ORGS: [&str; 8] =
    ["Acme Corp", "Northwind Traders", "Blue Harbor Ltd", "Brightline Media", "Summit Health", "Oakridge Legal", "Pioneer Freight", "Nimbus Labs"];
const KO_FAMILY: [&str; 10] = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"];
const KO_GIVEN: [&str; 12] = ["지호", "서연", "민준", "하은", "도윤", "수아", "예준", "지우", "시우", "서윤", "현우", "유진"];
const KO_ORGS: [&str; 6] = ["한빛소프트", "누리물산", "세종테크", "바다로지스틱스", "푸른은행", "하늘전자"];
const PL_FIRST: [&str; 10] = ["Jan", "Anna", "Piotr", "Katarzyna", "Michał", "Agnieszka", "Paweł", "Magdalena", "Krzysztof", "Joanna"];
const PL_LAST: [&str; 10] =
    ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski"];
const PL_ORGS: [&str; 6] = ["Serwery.app", "Kowalski i Synowie sp. z o.o.", "Polmark S.A.", "Wisła Logistyka", "Baltic Software", "Mazowsze Media"];
const HOSTS: [&str; 6] = ["app01.acme.local", "db-prod-2", "web-eu-1", "erp.hanbit.kr", "crm.serwery.app", "mail-gw-3"];
const APPS: [&str; 4] = ["FleetTrack", "Ledgerly", "OfficeSuite", "DeskPilot"];

#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoReport {
    pub tickets: usize,
    pub messages: usize,
    pub events: usize,
    pub customers: usize,
    pub seconds: f64,
}

struct Customer {
    id: String,
    email: String,
    lang: Lang,
}

struct Agent {
    id: String,
    email: String,
    teams: Vec<String>,
}

struct Counters {
    messages: usize,
    events: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub tickets: usize,
    pub seed: u64,
    /// Every ticket still needs work (the benchmark's "100k open tickets").
    pub all_unsolved: bool,
    /// Afterwards, let the time rules do what they would have done by now (old resolved
    /// tickets closed, neglected ones escalated), their alerts recorded as seen.
    pub run_rules: bool,
}

impl DemoOptions {
    pub fn new(tickets: usize, seed: u64) -> Self {
        DemoOptions { tickets, seed, all_unsolved: false, run_rules: true }
    }
}

/// Demo agents who take the complex problems (the skill the escalation rule looks for).
const SENIOR_AGENTS: [&str; 2] = ["jiho.kim@casebook-demo.com", "tomasz.wisniewski@casebook-demo.com"];

/// Adds demo tickets (with the demo teams, agents and customers if missing).
pub fn generate(ws: &mut Workspace, opts: DemoOptions) -> Result<DemoReport> {
    let DemoOptions { tickets, seed, all_unsolved, run_rules } = opts;
    let started = std::time::Instant::now();
    let cat = catalogue();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let now = ws.now();

    // People through the normal API: they are few and each should have its events.
    // Teams first (agents join them), their backup agents once the agents exist.
    for (name, _) in TEAMS {
        if !ws.teams()?.iter().any(|t| t.name == name) {
            ws.add_team(name, None)?;
        }
    }
    for (name, email, role, teams) in AGENTS {
        if ws.agent_by_email(email).is_err() {
            let skills = if SENIOR_AGENTS.contains(&email) { vec!["senior".to_string()] } else { vec![] };
            ws.add_agent(&NewAgent { name: name.into(), email: email.into(), role, teams: teams.iter().map(|t| t.to_string()).collect(), skills })?;
        }
    }
    {
        let ctx = ws.ctx();
        let tx = ws.begin()?;
        for (team, backup) in TEAMS {
            let found: Option<(String, Option<String>, String)> = tx
                .query_row(
                    "SELECT t.id, t.backup_agent, a.id FROM teams t, agents a WHERE t.name = ?1 AND a.email = ?2",
                    params![team, backup],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((id, None, agent)) = found {
                events::record(&tx, &ctx, None, Change::TeamBackupSet { id, backup_agent_id: Some(agent) })?;
            }
        }
        tx.commit()?;
    }
    let agents: Vec<Agent> = ws
        .agents()?
        .into_iter()
        .filter(|a| a.active && AGENTS.iter().any(|(_, e, _, _)| *e == a.email))
        .map(|a| Agent { id: a.id.to_string(), email: a.email, teams: a.teams })
        .collect();
    let team_ids: HashMap<String, String> = ws.teams()?.into_iter().map(|t| (t.name, t.id.to_string())).collect();

    let ctx = EventCtx { actor: "system".into(), device: ws.device.device_id.clone(), at: now };
    let customer_count = (tickets / 15).clamp(30, 6000);
    let customers = {
        let tx = ws.begin()?;
        let c = make_customers(&tx, &ctx, &mut rng, customer_count, now)?;
        tx.commit()?;
        c
    };

    // Creation instants, oldest first, so that numbers grow with time.
    let year_ms = 365 * 24 * 3600 * 1000_i64;
    let mut created: Vec<i64> = (0..tickets).map(|_| to_ms(now) - (rng.random::<f64>().powf(1.15) * year_ms as f64) as i64).collect();
    created.sort_unstable();

    let settings = ws.sla_settings().clone();
    let family_weights =
        WeightedIndex::new(cat.families.iter().map(|f| if f.key.contains("security") || f.key.contains("outage") { 1 } else { 4 })).unwrap();
    let mut counters = Counters { messages: 0, events: 0 };
    let first_number: i64 = ws.connection().query_row("SELECT coalesce(max(number), 0) + 1 FROM tickets", [], |r| r.get(0))?;
    let device = ws.device.device_id.clone();
    crate::store::bulk_load(&mut ws.conn, |tx| {
        let ctx = EventCtx { actor: "system".into(), device, at: now };
        for (i, &created_at) in created.iter().enumerate() {
            let family = &cat.families[family_weights.sample(&mut rng)];
            let customer = &customers[rng.random_range(0..customers.len())];
            let number = first_number + i as i64;
            write_ticket(
                tx,
                &ctx,
                &cat,
                &settings,
                &mut rng,
                &mut counters,
                family,
                customer,
                &agents,
                &team_ids,
                number,
                created_at,
                to_ms(now),
                all_unsolved,
            )?;
        }
        Ok(())
    })?;
    {
        let device = ws.device.device_id.clone();
        let tx = ws.begin()?;
        rate_some(&tx, &mut rng, first_number, to_ms(now), &device)?;
        tx.commit()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    if run_rules {
        // The time rules act as they would have while this history happened: a pass every two
        // hours over the last two weeks (each sees the tickets as they end up, which holds for
        // what the built-ins read: a ticket still waiting now was waiting then). Their alerts
        // were seen at the time.
        let real = ws.clock.clone();
        let mut at = now - chrono::Duration::days(14);
        while at <= now {
            ws.clock = std::sync::Arc::new(crate::clock::FixedClock::new(at));
            let pass = ws.run_time_rules();
            ws.clock = real.clone();
            pass?;
            at += chrono::Duration::hours(2);
        }
        ws.conn.execute("UPDATE alerts SET delivered_at = raised_at, read_at = raised_at WHERE kind = 'rule' AND delivered_at IS NULL", [])?;
    }
    Ok(DemoReport { tickets, messages: counters.messages, events: counters.events, customers: customers.len(), seconds })
}

fn make_customers(tx: &Connection, ctx: &EventCtx, rng: &mut ChaCha8Rng, count: usize, now: Timestamp) -> Result<Vec<Customer>> {
    let mut out = Vec::with_capacity(count);
    let mut org_ids: HashMap<&str, String> = HashMap::new();
    let existing: i64 = tx.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
    for i in 0..count {
        let lang = pick_lang(rng);
        let (name, local, org) = match lang {
            Lang::En => {
                let (f, l) = (EN_FIRST.choose(rng).unwrap(), EN_LAST.choose(rng).unwrap());
                (format!("{f} {l}"), format!("{}.{}", f.to_lowercase(), l.to_lowercase()), *EN_ORGS.choose(rng).unwrap())
            }
            Lang::Ko => {
                let (f, g) = (KO_FAMILY.choose(rng).unwrap(), KO_GIVEN.choose(rng).unwrap());
                (format!("{f}{g}"), format!("user{}", rng.random_range(100..999)), *KO_ORGS.choose(rng).unwrap())
            }
            Lang::Pl => {
                let (f, l) = (PL_FIRST.choose(rng).unwrap(), PL_LAST.choose(rng).unwrap());
                (format!("{f} {l}"), format!("{}.{}", ascii_fold(f), ascii_fold(l)), *PL_ORGS.choose(rng).unwrap())
            }
        };
        let domain: String = ascii_fold(org).chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
        let domain = if domain.is_empty() { format!("org{}", org.len()) } else { domain };
        let email = format!("{local}{}@{domain}.example", existing as usize + i);
        let org_id = match org_ids.get(org) {
            Some(id) => id.clone(),
            None => {
                let id = crate::people::upsert_organisation(tx, ctx, org)?;
                org_ids.insert(org, id.clone());
                id
            }
        };
        let tier = if rng.random_bool(0.08) { Tier::Vip } else { Tier::Normal };
        let id = Uuid::now_v7().to_string();
        let created_at = to_ms(now) - 400 * 24 * 3600 * 1000;
        let change = Change::CustomerAdded { id: id.clone(), name, email: email.clone(), organisation_id: Some(org_id), tier, created_at };
        events::record(tx, ctx, None, change)?;
        out.push(Customer { id, email, lang });
    }
    Ok(out)
}

fn pick_lang(rng: &mut ChaCha8Rng) -> Lang {
    match rng.random_range(0..100) {
        0..55 => Lang::En,
        55..85 => Lang::Ko,
        _ => Lang::Pl,
    }
}

fn ascii_fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ą' => 'a',
            'ć' => 'c',
            'ę' => 'e',
            'ł' | 'Ł' => 'l',
            'ń' => 'n',
            'ó' => 'o',
            'ś' | 'Ś' => 's',
            'ź' | 'ż' | 'Ż' => 'z',
            c => c,
        })
        .collect()
}

fn fill(rng: &mut ChaCha8Rng, text: &str) -> String {
    text.replace("{n}", &rng.random_range(11..240).to_string())
        .replace("{host}", HOSTS.choose(rng).unwrap())
        .replace("{order}", &format!("ORD-{}", rng.random_range(10000..99999)))
        .replace("{app}", APPS.choose(rng).unwrap())
}

/// Minutes until something happens, exponentially distributed around `mean`.
/// What customers say when they rate (most say nothing).
const RATING_COMMENTS: [(&str, bool); 9] = [
    ("Quick and friendly, thanks!", true),
    ("빠르게 해결해 주셔서 감사합니다.", true),
    ("Szybko i konkretnie, dziękuję.", true),
    ("Solved on the first try.", true),
    ("Took far too long.", false),
    ("답변이 너무 늦었어요.", false),
    ("Musiałem trzy razy pisać to samo.", false),
    ("I had to explain it twice.", false),
    ("Works, but the workaround is clumsy.", false),
];

/// Customers rate about a third of the solved tickets, mostly good, a day or so after.
fn rate_some(tx: &Connection, rng: &mut ChaCha8Rng, first_number: i64, now: i64, device: &str) -> Result<()> {
    let solved: Vec<(String, i64)> = tx
        .prepare(
            "SELECT id, resolved_at FROM tickets WHERE number >= ?1 AND status IN ('resolved', 'closed')
             AND coalesce(resolution, '') <> 'duplicate' AND resolved_at IS NOT NULL ORDER BY number",
        )?
        .query_map([first_number], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, resolved_at) in solved {
        if rng.random::<f64>() >= 0.35 {
            continue;
        }
        let good = rng.random::<f64>() < 0.86;
        let comment = if rng.random::<f64>() < 0.35 {
            let fitting: Vec<&str> = RATING_COMMENTS.iter().filter(|(_, g)| *g == good).map(|(c, _)| *c).collect();
            fitting[rng.random_range(0..fitting.len())]
        } else {
            ""
        };
        let at = (resolved_at + delay(rng, 600.0)).min(now);
        let ctx = EventCtx { actor: "system".into(), device: device.to_string(), at: crate::clock::from_ms(at) };
        events::record(tx, &ctx, Some(&id), Change::Rated { good, comment: comment.to_string(), recorded_by: None })?;
    }
    Ok(())
}

fn delay(rng: &mut ChaCha8Rng, mean_minutes: f64) -> i64 {
    let u: f64 = rng.random_range(0.0001..1.0);
    ((-u.ln() * mean_minutes).max(1.0) * 60_000.0) as i64
}

fn id_at(ms: i64) -> String {
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, (ms / 1000) as u64, ((ms % 1000) * 1_000_000) as u32);
    Uuid::new_v7(ts).to_string()
}

#[allow(clippy::too_many_arguments)]
fn write_ticket(
    tx: &Connection,
    ctx: &EventCtx,
    cat: &Catalogue,
    settings: &sla::SlaSettings,
    rng: &mut ChaCha8Rng,
    counters: &mut Counters,
    family: &Family,
    customer: &Customer,
    agents: &[Agent],
    team_ids: &HashMap<String, String>,
    number: i64,
    created_at: i64,
    now: i64,
    all_unsolved: bool,
) -> Result<()> {
    let lang = customer.lang;
    let key = lang.key();
    let texts = family.texts(lang);
    let (subject, body) = (texts.subjects.choose(rng).unwrap(), texts.bodies.choose(rng).unwrap());
    let subject = fill(rng, subject);
    let mut description = fill(rng, body);
    if rng.random_bool(0.4) {
        description.push(' ');
        description.push_str(cat.padding[key].choose(rng).unwrap());
    }
    let priority = Priority::from_rank(WeightedIndex::new(family.priority).map(|w| w.sample(rng)).unwrap_or(2) as i64);
    let channel = match rng.random_range(0..100) {
        0..70 => "email",
        70..95 => "manual",
        _ => "import",
    };
    let id = id_at(created_at);
    let team_id = team_ids.get(&family.team).cloned();
    let team_agents: Vec<&Agent> = agents.iter().filter(|a| a.teams.contains(&family.team)).collect();
    let agent = if team_agents.is_empty() { &agents[0] } else { team_agents[rng.random_range(0..team_agents.len())] };
    let mut tags: Vec<String> = family.tags.clone();
    if rng.random_bool(0.05) {
        tags.push("follow-up".into());
    }

    // Decide the path by age; clamp every step to the past.
    let age_h = (now - created_at) as f64 / 3_600_000.0;
    let roll: f64 = rng.random();
    let target = match age_h {
        a if a < 4.0 => {
            pick(roll, &[(Status::New, 0.5), (Status::Open, 0.3), (Status::Pending, 0.1), (Status::OnHold, 0.05), (Status::Resolved, 0.05)])
        }
        a if a < 48.0 => {
            pick(roll, &[(Status::New, 0.15), (Status::Open, 0.35), (Status::Pending, 0.15), (Status::OnHold, 0.07), (Status::Resolved, 0.28)])
        }
        a if a < 14.0 * 24.0 => pick(
            roll,
            &[
                (Status::New, 0.02),
                (Status::Open, 0.12),
                (Status::Pending, 0.08),
                (Status::OnHold, 0.04),
                (Status::Resolved, 0.3),
                (Status::Closed, 0.44),
            ],
        ),
        _ => pick(
            roll,
            &[(Status::Open, 0.006), (Status::Pending, 0.003), (Status::OnHold, 0.003), (Status::Resolved, 0.006), (Status::Closed, 0.982)],
        ),
    };
    let target = if all_unsolved && target.is_solved() { Status::Open } else { target };
    let mean_response = [10.0, 60.0, 6.0 * 60.0, 24.0 * 60.0][priority.rank() as usize];
    let mean_resolution = [120.0, 12.0 * 60.0, 36.0 * 60.0, 90.0 * 60.0][priority.rank() as usize];

    let customer_actor = format!("customer:{}", customer.email);
    let agent_actor = format!("agent:{}", agent.email);
    let ev = |actor: &str, at: i64| EventCtx { actor: actor.to_string(), device: ctx.device.clone(), at: crate::clock::from_ms(at) };

    let mut status = Status::New;
    let mut msgs: Vec<(MessageKind, String, i64, bool)> = vec![(MessageKind::Customer, description.clone(), created_at, false)];
    let mut status_changes: Vec<(Status, Status, i64, Option<&str>, String)> = Vec::new();
    let mut first_response_at = None;
    let mut resolved_at = None;
    let resolution: Option<&str>;
    let mut pause_start = None;
    let mut assigned_at = None;

    if target != Status::New {
        let t1 = created_at + delay(rng, mean_response);
        if t1 < now {
            assigned_at = Some(t1 - 60_000.min(t1 - created_at));
            let reply = cat.agent_first_replies[key].choose(rng).unwrap().clone();
            msgs.push((MessageKind::Public, reply, t1, false));
            first_response_at = Some(t1);
            status_changes.push((Status::New, Status::Open, t1, None, agent_actor.clone()));
            status = Status::Open;
            if rng.random_bool(0.15) {
                let note_at = (t1 + delay(rng, 30.0)).min(now - 1);
                msgs.push((MessageKind::Internal, cat.internal_notes[key].choose(rng).unwrap().clone(), note_at, false));
            }
            let mut t = t1;
            if target.is_solved() || matches!(target, Status::OnHold) || rng.random_bool(0.5) {
                let t2 = t + delay(rng, mean_resolution / 4.0);
                if t2 < now && rng.random_bool(0.6) {
                    msgs.push((MessageKind::Customer, cat.customer_followups[key].choose(rng).unwrap().clone(), t2, false));
                    t = t2;
                }
            }
            match target {
                Status::Pending => {
                    status_changes.push((Status::Open, Status::Pending, t, None, agent_actor.clone()));
                    status = Status::Pending;
                    pause_start = Some(t);
                }
                Status::OnHold => {
                    status_changes.push((Status::Open, Status::OnHold, t, None, agent_actor.clone()));
                    status = Status::OnHold;
                }
                Status::Resolved | Status::Closed => {
                    let t3 = t + delay(rng, mean_resolution);
                    if t3 < now {
                        let fix = fill(rng, &family.texts(lang).fix);
                        let marked = rng.random_bool(0.25);
                        msgs.push((MessageKind::Public, fix, t3, marked));
                        let confirmed = rng.random_bool(0.4) && t3 + 3_600_000 < now;
                        let r_at = if confirmed {
                            let c_at = t3 + delay(rng, 120.0).min(20 * 3_600_000);
                            let c_at = c_at.min(now - 1);
                            msgs.push((MessageKind::Customer, cat.confirmations[key].choose(rng).unwrap().clone(), c_at, false));
                            resolution = Some("confirmed_by_customer");
                            status_changes.push((Status::Open, Status::Resolved, c_at, Some("confirmed_by_customer"), "rule:auto-resolve".into()));
                            c_at
                        } else {
                            resolution = Some("solved");
                            status_changes.push((Status::Open, Status::Resolved, t3 + 60_000, Some("solved"), agent_actor.clone()));
                            t3 + 60_000
                        };
                        resolved_at = Some(r_at);
                        status = Status::Resolved;
                        let c = r_at + 4 * 24 * 3_600_000;
                        if target == Status::Closed && c < now {
                            status_changes.push((Status::Resolved, Status::Closed, c, resolution, "rule:auto-close-resolved".into()));
                            status = Status::Closed;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let assignee = if assigned_at.is_some() || rng.random_bool(0.4) { Some(agent) } else { None };

    // SLA instants for tickets still running.
    let facts = SlaFacts {
        priority,
        status,
        created_at: crate::clock::from_ms(created_at),
        cycle_start: crate::clock::from_ms(created_at),
        first_response_at: first_response_at.map(crate::clock::from_ms),
        resolved_at: resolved_at.map(crate::clock::from_ms),
        pauses: pause_start.map(|s| vec![Pause { start: crate::clock::from_ms(s), end: None }]).unwrap_or_default(),
    };
    let inst = sla::instants(settings, &facts);

    let created_actor = if channel == "email" { customer_actor.clone() } else { agent_actor.clone() };
    tags.sort();
    tags.dedup();
    let created = Change::TicketCreated {
        id: id.clone(),
        number,
        subject,
        description,
        ticket_type: family.ticket_type.clone(),
        priority,
        requester_id: customer.id.clone(),
        assignee_id: None,
        team_id,
        channel: Channel::parse(channel)?,
        tags,
        demo_family: Some(family.key.clone()),
    };
    // The whole history is known before it is written: the writer folds it into each row once.
    let mut history = vec![(ev(&created_actor, created_at), created)];
    if let Some(a) = assignee {
        let at = assigned_at.unwrap_or(created_at);
        history.push((ev(&agent_actor, at), Change::FieldChanged(FieldChange::Assignee { from: None, to: Some(a.id.clone()) })));
    }
    msgs.sort_by_key(|m| m.2);
    let mut changes = status_changes.into_iter().peekable();
    let mut resolved_at = None;
    let status_change = |from: Status, to: Status, at: i64, reason: Option<&str>, resolved_at: &mut Option<i64>| -> Result<Change> {
        let change = crate::tickets::status_moved(from, to, reason.map(Resolution::parse).transpose()?, *resolved_at, at);
        if to == Status::Resolved {
            *resolved_at = Some(at);
        }
        Ok(change)
    };
    let mut answered = false;
    for (kind, body, at, solution) in msgs {
        while let Some((from, to, change_at, reason, actor)) = changes.next_if(|c| c.2 < at) {
            history.push((ev(&actor, change_at), status_change(from, to, change_at, reason, &mut resolved_at)?));
        }
        let mid = id_at(at);
        let (author_agent, author_customer, actor) = match kind {
            MessageKind::Customer => (None, Some(customer.id.clone()), customer_actor.as_str()),
            _ => (Some(agent.id.clone()), None, agent_actor.as_str()),
        };
        let first_response = kind == MessageKind::Public && !answered;
        answered |= first_response;
        let change = Change::MessageAdded {
            id: mid.clone(),
            kind,
            author_agent_id: author_agent,
            author_customer_id: author_customer,
            body,
            attachments: vec![],
            first_response,
            mail: None,
        };
        history.push((ev(actor, at), change));
        counters.messages += 1;
        if solution {
            history.push((ev(actor, at), Change::SolutionMarked { message_id: mid }));
        }
    }
    for (from, to, at, reason, actor) in changes {
        history.push((ev(&actor, at), status_change(from, to, at, reason, &mut resolved_at)?));
    }
    counters.events += history.len();
    events::record_new_ticket(tx, settings, &id, history)?;
    // The demo's past was already alerted on: only instants still ahead will alert.
    crate::alerts::record_past_sla_alerts(tx, &id, 0, &inst, crate::clock::from_ms(now))?;
    Ok(())
}

fn pick(roll: f64, weights: &[(Status, f64)]) -> Status {
    let mut acc = 0.0;
    for (s, w) in weights {
        acc += w;
        if roll < acc {
            return *s;
        }
    }
    weights.last().map(|w| w.0).unwrap_or(Status::Open)
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogue_parses_and_every_family_speaks_three_languages() {
        let cat = super::catalogue();
        assert!(cat.families.len() >= 20);
        for f in &cat.families {
            for t in [&f.en, &f.ko, &f.pl] {
                assert!(!t.subjects.is_empty() && !t.bodies.is_empty() && !t.fix.is_empty(), "{}", f.key);
            }
            assert!(crate::workspace::DEFAULT_TICKET_TYPES.contains(&f.ticket_type.as_str()), "{}", f.key);
        }
    }
}
