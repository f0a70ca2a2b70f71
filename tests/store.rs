//! Store nodes and retrieval strategies (`[store]`, `[retrieval]`), on small scripted
//! scenarios and on a smaller version of `scenarios/community-history.toml`.

mod common;

use common::{run_toml, scripted};
use sdsim::time::SimTime;

const S: SimTime = 1_000_000;

/// Time participant `to` delivered the message labelled `label` (µs), if it did.
fn delivered_at(out: &sdsim::metrics::RunOutcome, label: &str, to: u32) -> Option<SimTime> {
    let m = out.recorder.by_label(label).expect("label");
    out.recorder.delivery(m, to)
}

/// Three participants; 0 publishes `a-0..a-2` at 1, 2, 3 s while 2 sleeps from 0.5 s to 20 s;
/// no sync, no resends within the run, so only the store can bring 2 what it missed. The
/// one store node is down from `store_down` on (until 40 s).
fn sleeper(strategy: &str, store_down: &str, extra: &str) -> String {
    scripted(
        3,
        "resend_interval = \"1h\"\n[sds.sync]\npolicy = \"off\"",
        &format!(
            "[[workload.publish]]\nat = \"1s\"\nsender = 0\ncount = 3\ninterval = \"1s\"\nlabel = \"a\"\n\
             [churn]\nmode = \"sleep\"\n[[churn.offline]]\nids = [2]\nstart = \"500ms\"\nend = \"20s\"\n\
             [store]\nnodes = 1\n[[store.offline]]\nnode = 0\nstart = \"{store_down}\"\nend = \"40s\"\n\
             [retrieval]\nstrategy = \"{strategy}\"\nquery_on_connect = \"all-pages\"\n{extra}"
        ),
    )
}

#[test]
fn a_store_node_answers_only_while_online() {
    // The store node is down from 10 s to 40 s: participant 2 wakes at 20 s, its query on
    // connect reaches a node that is down and times out; when the node comes back at 40 s
    // it queries again and gets the three messages.
    let (out, r) = run_toml(&sleeper("store", "10s", ""));
    let st = r.summary.store.as_ref().expect("store summary");
    assert_eq!(st.strategy, "store");
    assert_eq!(st.nodes[0].messages_stored, 3, "{st:?}");
    assert!(st.nodes[0].queries_while_offline >= 1, "{st:?}");
    assert!(st.client.query_timeouts >= 1, "{st:?}");
    assert_eq!(st.client.queries_on_connect, 2, "{st:?}");
    for k in 0..3 {
        let t = delivered_at(&out, &format!("a-{k}"), 2).expect("delivered from the store");
        assert!((40 * S..41 * S).contains(&t), "a-{k} at {t} µs");
    }
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.duplicates_delivered, 0);
    assert_eq!(r.summary.causal_violations, 0);

    // Store node up when 2 wakes: the messages come within the query's round trip.
    let (out, _) = run_toml(&sleeper("store", "30s", ""));
    let t = delivered_at(&out, "a-0", 2).expect("delivered");
    assert!((20 * S..20 * S + 200_000).contains(&t), "{t}");

    // Without store retrieval nothing brings them (no sync, no resends, no SDS-R).
    let (_, r) = run_toml(&sleeper("none", "10s", ""));
    assert!(r.summary.delivery_ratio < 1.0);
    assert_eq!(
        r.summary.store.as_ref().unwrap().client.queries_on_connect,
        0
    );
}

#[test]
fn a_store_node_keeps_messages_for_its_retention_only() {
    // Retention 17.5 s: when the store node answers at 20 s, only a-2 (stored at ~3.05 s)
    // is left; a-0 and a-1 are gone, and a-2 waits for them for ever.
    let (out, r) = run_toml(&sleeper("store", "30s", "").replace(
        "[store]\nnodes = 1\n",
        "[store]\nnodes = 1\nretention = \"17500ms\"\n",
    ));
    let st = r.summary.store.as_ref().unwrap();
    assert_eq!(st.client.messages_retrieved, 1, "{st:?}");
    assert!(delivered_at(&out, "a-0", 2).is_none());
    assert!(
        delivered_at(&out, "a-2", 2).is_none(),
        "a-2 waits for a-0 and a-1"
    );
}

#[test]
fn query_on_connect_first_page_stops_after_one_page() {
    // 0 publishes 30 messages while 2 sleeps; page size 5.
    let scenario = |mode: &str| {
        scripted(
            3,
            "resend_interval = \"1h\"\n[sds.sync]\npolicy = \"off\"",
            &format!(
                "[[workload.publish]]\nat = \"1s\"\nsender = 0\ncount = 30\ninterval = \"1s\"\nlabel = \"a\"\n\
                 [churn]\nmode = \"sleep\"\n[[churn.offline]]\nids = [2]\nstart = \"500ms\"\nend = \"40s\"\n\
                 [store]\nnodes = 1\npage_size = 5\n\
                 [retrieval]\nstrategy = \"store\"\nquery_on_connect = \"{mode}\"\n"
            ),
        )
    };
    let (out, r) = run_toml(&scenario("all-pages"));
    let st = r.summary.store.as_ref().unwrap();
    assert_eq!(st.client.queries_by_range, 6, "{st:?}"); // 30 messages, 5 per page
    assert_eq!(st.client.messages_retrieved, 30);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    let last = delivered_at(&out, "a-29", 2).unwrap();
    assert!(last < 41 * S, "{last}");

    // js-waku's behaviour: one page (the 5 oldest), then nothing names the other 25.
    let (out, r) = run_toml(&scenario("first-page"));
    let st = r.summary.store.as_ref().unwrap();
    assert_eq!(
        (st.client.queries_by_range, st.client.messages_retrieved),
        (1, 5),
        "{st:?}"
    );
    assert!(delivered_at(&out, "a-4", 2).is_some());
    assert!(delivered_at(&out, "a-5", 2).is_none());

    // Off: no time-range query at all.
    let (_, r) = run_toml(&scenario("off"));
    assert_eq!(r.summary.store.as_ref().unwrap().client.queries_by_range, 0);
}

#[test]
fn missing_dependencies_are_fetched_by_hash() {
    // Participant 2 is isolated while 0 publishes a-0 (1 s), then gets a-1 (3 s), whose
    // causal history names a-0 with its hash: the retriever queries it 10 s later.
    let text = scripted(
        3,
        "resend_interval = \"1h\"\n[sds.sync]\npolicy = \"off\"",
        "[[workload.publish]]\nat = \"1s\"\nsender = 0\nlabel = \"a-0\"\n\
         [[workload.publish]]\nat = \"3s\"\nsender = 0\nlabel = \"a-1\"\n\
         [[partitions]]\nstart = \"500ms\"\nheal = \"1500ms\"\nisolate = [2]\n\
         [store]\nnodes = 2\n[retrieval]\nstrategy = \"store\"\n",
    );
    let (out, r) = run_toml(&text);
    let st = r.summary.store.as_ref().unwrap();
    assert_eq!(st.client.queries_by_range, 0, "{st:?}"); // never offline: no query on connect
    assert_eq!(st.client.queries_by_hash, 1, "{st:?}");
    assert_eq!(st.client.messages_retrieved_new, 1);
    assert_eq!(st.nodes[0].messages_stored + st.nodes[1].messages_stored, 4);
    let t = delivered_at(&out, "a-0", 2).unwrap();
    assert!((13 * S..13 * S + 200_000).contains(&t), "{t}");
    // a-1 waited for it (causal order).
    assert!(delivered_at(&out, "a-1", 2).unwrap() >= t);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.causal_violations, 0);
}

#[test]
fn store_runs_are_deterministic() {
    let text = sleeper("both", "10s", "");
    let a = serde_json::to_string(&run_toml(&text).1).unwrap();
    let b = serde_json::to_string(&run_toml(&text).1).unwrap();
    assert_eq!(a, b);
}

/// `scenarios/community-history.toml` at a third of its size: 30 members, 5 minutes, the
/// store node down from 90 s to 180 s, 30% away for 2 minutes from 60-120 s.
fn community(strategy: &str) -> sdsim::report::Report {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/community-history.toml");
    let sets: Vec<String> = [
        "participants=30",
        "duration=5m",
        "drain=30m",
        "churn.random.start=60s",
        "churn.random.duration=2m",
        "churn.random.stagger=1m",
        "store.offline.0.start=90s",
        "store.offline.0.end=180s",
        &format!("retrieval.strategy={strategy}"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let loaded = sdsim::scenario::load(&path, None, &sets).expect("community-history loads");
    sdsim::simulate(&loaded, &mut |_| {}).expect("runs").1
}

#[test]
fn community_history_members_catch_up_from_the_store() {
    let both = community("both");
    let sds_r = community("sds-r");
    let store = community("store");
    // With SDS-R and the store, every member ends with the full history, sooner than with
    // SDS-R alone; the store alone cannot serve what it missed while down.
    assert_eq!(both.summary.delivery_ratio, 1.0, "{:?}", both.summary);
    assert_eq!(sds_r.summary.delivery_ratio, 1.0);
    assert!(
        both.summary.delivery_ratio_workload_end > sds_r.summary.delivery_ratio_workload_end,
        "{} vs {}",
        both.summary.delivery_ratio_workload_end,
        sds_r.summary.delivery_ratio_workload_end
    );
    assert!(both.run.end_s < sds_r.run.end_s);
    assert!(store.summary.delivery_ratio < 1.0);
    let st = both.summary.store.as_ref().unwrap();
    assert!(
        st.client.messages_retrieved_new > 0 && st.client.query_timeouts > 0,
        "{st:?}"
    );
    for r in [&both, &sds_r, &store] {
        assert_eq!(r.summary.duplicates_delivered, 0);
        assert_eq!(r.summary.causal_violations, 0);
    }
}
