//! Skills-based routing: a customer's attributes against a queue's requirement over
//! agents' skill levels; relaxation over time; with overflow; bad input; restarts.

mod common;

use common::*;
use lineup_engine::{
    AcdError, AttrValue, Engine, EventKind, Input, Notice, Output, QueueId, QueueRequirement, QueueRouting,
    QueuingInfo, Request, SessionId,
};

const SKILLS: [&str; 5] = ["language.cantonese", "language.mandarin", "product.mortgage", "product.cards", "vip"];

fn catalog(sim: &mut Sim) {
    let skills = SKILLS.iter().map(|s| (*s).into()).collect();
    sim.input(Input::PutSkillCatalog { app: APP.into(), skills }).unwrap();
}

fn skills(sim: &mut Sim, user: &str, levels: &[(&str, u8)]) -> Result<(), AcdError> {
    let skills = levels.iter().map(|(n, l)| ((*n).into(), *l)).collect();
    sim.input(Input::PutAgentSkills { app: APP.into(), user_id: user.into(), skills }).map(|_| ())
}

fn require(sim: &mut Sim, queue: QueueId, text: &str, relax_s: u32) -> Result<(), AcdError> {
    let requirement = QueueRequirement { text: text.into(), relax_s };
    sim.input(Input::PutQueueRequirement { app: APP.into(), queue, requirement }).map(|_| ())
}

fn text(v: &str) -> AttrValue {
    AttrValue::Text(v.into())
}

fn queue_with(sim: &mut Sim, customer: SessionId, queue: QueueId, attrs: &[(&str, AttrValue)]) {
    let attributes = attrs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect();
    sim.ok(customer, Request::StartQueuingWith { queue, usr_ext_dat: "".into(), attributes });
}

fn offered(out: &[Output]) -> Vec<(SessionId, String)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Notify { session, notice: Notice::AutoAssignUser(u) } => Some((*session, u.user_id.to_string())),
            _ => None,
        })
        .collect()
}

fn relaxed(out: &[Output]) -> Vec<(SessionId, u8)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Notify { session, notice: Notice::RequirementRelaxed { step, .. } } => Some((*session, *step)),
            _ => None,
        })
        .collect()
}

fn acd_steps(out: &[Output]) -> Vec<u8> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => match &e.kind {
                EventKind::AcdState(t) => t.requirement_step,
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn bank(sim: &mut Sim) -> QueueId {
    catalog(sim);
    let q = sim.queue("bank", 1);
    require(sim, q, "language[customer.language] >= 5 && product[customer.product] >= 3", 60).unwrap();
    q
}

#[test]
fn a_customer_with_attributes_reaches_only_a_matching_agent() {
    let mut sim = Sim::new();
    let q = bank(&mut sim);
    skills(&mut sim, "mandy", &[("language.mandarin", 9), ("product.mortgage", 9)]).unwrap();
    skills(&mut sim, "kit", &[("language.cantonese", 6), ("product.mortgage", 3)]).unwrap();
    let mandy = sim.agent("mandy");
    sim.start_service(mandy, q, 0);
    let c = sim.customer("c");
    sim.drain();
    queue_with(&mut sim, c, q, &[("language", text("cantonese")), ("product", text("mortgage"))]);
    assert!(offered(&sim.drain()).is_empty(), "mandy speaks no Cantonese: she stays free");
    // A Mandarin customer behind it goes to mandy at once (the Cantonese one is skipped).
    let m = sim.customer("m");
    queue_with(&mut sim, m, q, &[("language", text("mandarin")), ("product", text("mortgage"))]);
    assert_eq!(offered(&sim.drain()), [(mandy, "m".to_string())]);
    let kit = sim.agent("kit");
    sim.start_service(kit, q, 0);
    let out = sim.drain();
    assert_eq!(offered(&out), [(kit, "c".to_string())]);
    // The agent sees what the customer brought.
    let user = offers_to(&out, kit).pop().unwrap();
    let attrs = user.attributes.expect("attributes shown");
    assert_eq!(attrs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["language", "product"]);
}

#[test]
fn the_requirement_steps_down_after_the_relaxation_time_then_any_agent_takes_the_customer() {
    let mut sim = Sim::new();
    let q = bank(&mut sim);
    skills(&mut sim, "low", &[("language.cantonese", 2), ("product.mortgage", 1)]).unwrap();
    let low = sim.agent("low");
    let none = sim.agent("none");
    sim.start_service(none, q, 0);
    sim.dnd(none, true);
    sim.start_service(low, q, 0);
    let c = sim.customer("c");
    queue_with(&mut sim, c, q, &[("language", text("cantonese")), ("product", text("mortgage"))]);
    sim.drain();
    sim.advance(59);
    assert!(offered(&sim.drain()).is_empty());
    sim.advance(1);
    // Step 1: 5 → 2 and 3 → 1 (still needs the skill): "low" meets it now.
    let out = sim.drain();
    assert_eq!(relaxed(&out), [(c, 1)]);
    assert_eq!(acd_steps(&out), [1]);
    assert_eq!(offered(&out), [(low, "c".to_string())]);
    sim.reject(low, q, c);
    sim.dnd(low, true);
    sim.dnd(none, false);
    assert!(offered(&sim.drain()).is_empty(), "an agent without the skills still does not meet step 1");
    sim.advance(60);
    let out = sim.drain();
    assert_eq!(relaxed(&out), [(c, 2)]);
    assert_eq!(offered(&out), [(none, "c".to_string())], "step 2: any agent of the queue");
    sim.advance(600);
    assert!(relaxed(&sim.drain()).is_empty(), "no step after the last");
}

#[test]
fn a_skilled_customer_relaxed_then_overflowed_is_bound_again_in_the_new_queue() {
    let mut sim = Sim::new();
    let q = bank(&mut sim);
    let backup = sim.queue("backup", 1);
    require(&mut sim, backup, "vip || customer.tier == 'gold'", 0).unwrap();
    sim.input(Input::PutQueueRouting {
        app: APP.into(),
        queue: q,
        routing: QueueRouting { overflow_after_s: 90, overflow_to: Some(backup), aging_s: 0 },
    })
    .unwrap();
    let plain = sim.agent("plain");
    sim.start_service(plain, backup, 0);
    let c = sim.customer("c");
    queue_with(&mut sim, c, q, &[("language", text("cantonese")), ("tier", text("gold"))]);
    sim.advance(60);
    assert_eq!(relaxed(&sim.drain()), [(c, 1)]);
    sim.advance(30);
    let out = sim.drain();
    // Overflowed at 90 s: its attributes went with it; gold meets the backup's requirement.
    assert!(out.iter().any(|o| matches!(o, Output::Notify { session, notice: Notice::QueuingInfoChanged(QueuingInfo::Queuing { queue, .. }) } if *session == c && *queue == backup)));
    assert_eq!(offered(&out), [(plain, "c".to_string())]);
    // And a customer without the attribute is not offered to the agent without "vip".
    sim.accept(plain, backup, c);
    sim.finish(plain, backup, c);
    let d = sim.customer("d");
    queue_with(&mut sim, d, backup, &[("tier", text("silver"))]);
    assert!(offered(&sim.drain()).is_empty());
    skills(&mut sim, "plain", &[("vip", 1)]).unwrap();
    assert_eq!(offered(&sim.drain()), [(plain, "d".to_string())], "new skills take effect at once");
}

#[test]
fn among_matching_agents_the_usual_order_holds_and_skills_can_come_with_start_service() {
    let mut sim = Sim::new();
    let q = bank(&mut sim);
    let a = sim.agent("a");
    let b = sim.agent("b");
    let both = vec![("language.cantonese".into(), 10), ("product.cards".into(), 10)];
    sim.ok(b, Request::StartServiceWith { queue: q, priority: 5, skills: both.clone() });
    sim.ok(a, Request::StartServiceWith { queue: q, priority: 1, skills: both });
    assert_eq!(sim.engine.agent_skills(APP, "a").unwrap().len(), 2);
    let c = sim.customer("c");
    sim.drain();
    queue_with(&mut sim, c, q, &[("language", text("cantonese")), ("product", text("cards"))]);
    assert_eq!(offered(&sim.drain()), [(a, "c".to_string())], "agent priority 1 before 5; levels equal");
    // A customer without attributes fails the requirement (no such skill: level 0).
    let n = sim.customer("n");
    queue_with(&mut sim, n, q, &[]);
    assert!(offered(&sim.drain()).is_empty());
}

#[test]
fn bad_requirements_attributes_and_skills_are_refused_naming_the_field_and_column() {
    let mut sim = Sim::new();
    let q = bank(&mut sim);
    let err = |e: AcdError| match e {
        AcdError::InvalidParam { field, reason } => format!("{field}: {reason}"),
        other => panic!("{other:?}"),
    };
    let cases = [
        ("language.klingon >= 3", "Requirement: at column 1: 'language.klingon' is not a skill of the app"),
        ("vip >= 11", "Requirement: at column 8: expected a level 0..10 (found '11')"),
        ("vip && <script>alert(1)</script>", "Requirement: at column 8: markup is not allowed in a requirement"),
        ("vip &&", "Requirement: at column 7: expected a skill or customer.<attribute> (found the end)"),
        ("(vip", "Requirement: at column 5: expected ')' (found the end)"),
        (
            "customer.tier >= 'gold'",
            "Requirement: at column 18: text and true/false compare only with == and != (found 'gold')",
        ),
        ("colour[customer.c] >= 1", "Requirement: at column 1: no skill of the app is named colour.<something>"),
    ];
    for (text, want) in cases {
        assert_eq!(err(require(&mut sim, q, text, 0).unwrap_err()), want, "{text}");
    }
    let deep = format!("{}vip{}", "(".repeat(9), ")".repeat(9));
    assert_eq!(
        err(require(&mut sim, q, &deep, 0).unwrap_err()),
        "Requirement: at column 9: nested deeper than 8 levels"
    );
    let long = vec!["vip"; 200].join(" || ");
    assert!(err(require(&mut sim, q, &long, 0).unwrap_err()).starts_with("Requirement: at column 513: is 1396 bytes"));
    assert!(err(require(&mut sim, q, "vip", 86_401).unwrap_err()).starts_with("RelaxSeconds"));
    // The refused settings left the queue's requirement as it was.
    assert_eq!(sim.engine.queue_requirement(q).unwrap().relax_s, 60);

    let c = sim.customer("c");
    let attrs = |n: usize| (0..n).map(|i| (format!("a{i}").as_str().into(), AttrValue::Number(i as i64))).collect();
    let e = sim.fail(c, Request::StartQueuingWith { queue: q, usr_ext_dat: "".into(), attributes: attrs(21) });
    assert_eq!(err(e), "attributes: 21 attributes, at most 20");
    let e = sim.fail(
        c,
        Request::StartQueuingWith { queue: q, usr_ext_dat: "".into(), attributes: vec![("1x".into(), text("y"))] },
    );
    assert!(err(e).starts_with("attributes: '1x' is not a name"));

    assert_eq!(err(skills(&mut sim, "a", &[("vip", 11)]).unwrap_err()), "skills: vip: level 11 is outside 0..=10");
    assert_eq!(err(skills(&mut sim, "a", &[("chess", 1)]).unwrap_err()), "skills: 'chess' is not a skill of the app");
    // A skill a requirement names cannot leave the catalog.
    let e = sim.input(Input::PutSkillCatalog { app: APP.into(), skills: vec!["vip".into()] }).unwrap_err();
    assert!(err(e).starts_with(&format!("Skills: queue {}'s requirement needs it", q.0)));
    let e = sim.input(Input::PutSkillCatalog { app: APP.into(), skills: vec!["a.b.c".into()] }).unwrap_err();
    assert!(err(e).starts_with("Skills: 'a.b.c' is not a skill name"));
}

#[test]
fn a_waiting_skilled_customer_and_its_relaxation_survive_a_snapshot_restore() {
    let mut sim = Sim::new();
    let q = bank(&mut sim);
    let c = sim.customer("c");
    queue_with(&mut sim, c, q, &[("language", text("mandarin")), ("product", text("cards"))]);
    sim.advance(30);
    let mut restored = Engine::restore(&sim.engine.snapshot()).expect("restores");
    restored.check_invariants().unwrap();
    assert_eq!(restored.digest(), sim.engine.digest());
    // Catalog changed after the restore: positions move, the customer is bound again.
    let mut skills_now: Vec<lineup_engine::Name> = SKILLS.iter().rev().map(|s| (*s).into()).collect();
    skills_now.push("channel.video".into());
    restored.handle(sim.now, Input::PutSkillCatalog { app: APP.into(), skills: skills_now }).unwrap();
    restored
        .handle(
            sim.now,
            Input::PutAgentSkills {
                app: APP.into(),
                user_id: "a".into(),
                skills: vec![("language.mandarin".into(), 4), ("product.cards".into(), 9)],
            },
        )
        .unwrap();
    let a = match restored
        .handle(sim.now, Input::Login { app: APP.into(), user_id: "a".into(), name: "a".into(), roles: agent_roles() })
    {
        Ok(lineup_engine::Reply::LoggedIn { session, .. }) => session,
        other => panic!("{other:?}"),
    };
    restored
        .handle(sim.now, Input::Session { session: a, request: Request::StartService { queue: q, priority: 0 } })
        .unwrap();
    while restored.poll_output().is_some() {}
    restored.check_invariants().unwrap();
    // Level 4 < 5: not yet; the relaxation at 60 s (kept through the restore) lets it.
    restored.handle_timeout(sim.now.plus_secs(30));
    restored.check_invariants().unwrap();
    let out: Vec<Output> = std::iter::from_fn(|| restored.poll_output()).collect();
    assert_eq!(offered(&out), [(a, "c".to_string())]);
    assert_eq!(relaxed(&out), [(c, 1)]);
}

#[test]
fn requirement_language_details() {
    let mut sim = Sim::new();
    catalog(&mut sim);
    let q = sim.queue("q", 1);
    require(&mut sim, q, "!(vip) && (customer.age >= 18 || customer.adult) && customer.name != 'x'", 0).unwrap();
    skills(&mut sim, "novip", &[("product.cards", 1)]).unwrap();
    let a = sim.agent("novip");
    sim.start_service(a, q, 0);
    let kid = sim.customer("kid");
    queue_with(&mut sim, kid, q, &[("age", AttrValue::Number(12))]);
    assert!(offered(&sim.drain()).is_empty(), "12 < 18 and not adult");
    let grown = sim.customer("grown");
    queue_with(&mut sim, grown, q, &[("adult", AttrValue::Flag(true))]);
    assert_eq!(offered(&sim.drain()), [(a, "grown".to_string())]);
    // Clearing the requirement: the kid is bound again (none) and offered once free.
    sim.accept(a, q, grown);
    sim.finish(a, q, grown);
    sim.drain();
    require(&mut sim, q, "", 0).unwrap();
    assert_eq!(offered(&sim.drain()), [(a, "kid".to_string())]);
}
