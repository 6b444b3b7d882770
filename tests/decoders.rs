//! Bounded fuzzing of everything that decodes outside input: wire types, mutation arguments,
//! the kiosk config and card swipes. Nothing may panic; good input must round-trip.

use proptest::prelude::*;
use tutorkiosk::kiosk::config;
use tutorkiosk::protocol::*;

fn json_like() -> impl Strategy<Value = String> {
    // Mostly JSON-shaped noise, so the decoders get past the first byte.
    let atom = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\"cursor\"".to_string()),
        Just("\"mutations\"".to_string()),
        Just("\"changes\"".to_string()),
        Just("\"id\"".to_string()),
        Just("\"name\"".to_string()),
        Just("\"args\"".to_string()),
        Just("\"op\"".to_string()),
        Just("\"put\"".to_string()),
        Just("\"entity\"".to_string()),
        Just("\"appointment\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        "\"[a-z_]{0,12}\"",
        "\\PC{0,8}",
    ];
    proptest::collection::vec(atom, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn wire_decoders_never_panic(s in json_like(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        for input in [s.as_bytes(), &bytes[..]] {
            let _ = serde_json::from_slice::<PushRequest>(input);
            let _ = serde_json::from_slice::<PushResponse>(input);
            let _ = serde_json::from_slice::<PullRequest>(input);
            let _ = serde_json::from_slice::<PullResponse>(input);
            let _ = serde_json::from_slice::<Change>(input);
            let _ = serde_json::from_slice::<BookArgs>(input);
            let _ = serde_json::from_slice::<CancelArgs>(input);
            let _ = serde_json::from_slice::<CardAtArgs>(input);
            let _ = serde_json::from_slice::<DropInJoinArgs>(input);
            let _ = serde_json::from_slice::<ErrorResponse>(input);
        }
    }

    #[test]
    fn config_parsing_never_panics_and_always_names_a_key(s in "(\\[[a-z_]{0,12}\\]\n|[a-z_]{1,20} = (\"[^\"\n]{0,20}\"|[0-9]{1,6}|true|\\[\\])\n|\\PC{0,10}\n){0,12}") {
        if let Err(problems) = config::parse(&s) {
            prop_assert!(!problems.is_empty());
            for p in problems {
                prop_assert!(!p.key.is_empty() && !p.message.is_empty(), "{p:?}");
            }
        }
    }

    #[test]
    fn pushes_round_trip(ids in proptest::collection::vec(1u64..1_000_000, 0..20), name in "[a-z_]{1,12}") {
        let req = PushRequest { mutations: ids.iter().map(|id| Mutation { id: *id, name: name.clone(), args: serde_json::json!({"card": "123"}) }).collect() };
        let back: PushRequest = serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        prop_assert_eq!(back.mutations, req.mutations);
    }
}
