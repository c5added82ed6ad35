//! What the devices page reads from the sync storage, on SQLite and on a real PostgreSQL
//! (`DOORSTEP_TEST_PG`, set by scripts/with-postgres.sh): enrolment codes as issued, used
//! and cancelled, and the devices enrolled, synced or not.

use crate::common;

use common::*;
use doorstep_core::sync::Role;
use doorstep_core::Clock;

async fn codes_are_listed_used_and_cancelled(backend: Backend) {
    let env = Env::start(backend).await;
    let now = env.clock.now_ms();
    let first = env.code("社工周洁", Role::SocialWorker, &[GRID1]).await;
    env.clock.advance(1000);
    let second = env.code("配送员王强", Role::Runner, &[GRID1, GRID2]).await;
    env.clock.advance(1000);
    let third = env.code("核酸点李明", Role::Marshal, &[GRID2]).await;
    let listed = env.store.enrolments(10).await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.user.as_str()).collect::<Vec<_>>(),
        ["核酸点李明", "配送员王强", "社工周洁"],
        "newest first"
    );
    let runner = &listed[1];
    assert_eq!(runner.role, Role::Runner);
    assert_eq!(runner.areas, [GRID1, GRID2]);
    assert_eq!(runner.created_at, now + 1000);
    assert!(runner.expires_at > runner.created_at);
    assert!(listed
        .iter()
        .all(|e| e.used_at.is_none() && e.cancelled_at.is_none()));
    assert!(
        listed
            .iter()
            .all(|e| e.id.len() == 32 && !first.contains(&e.id) && !second.contains(&e.id)),
        "ids of their own, not the codes"
    );
    assert_eq!(env.store.enrolments(2).await.unwrap().len(), 2);

    // Used: the code names the device it enrolled, listed before it syncs.
    let (_phone, e) = {
        let phone = env.new_phone();
        let e = phone.enrol(&env.url(), &second).await.unwrap();
        (phone, e)
    };
    let listed = env.store.enrolments(10).await.unwrap();
    assert_eq!(listed[1].used_by.as_deref(), Some(e.device_id.as_str()));
    assert!(listed[1].used_at.is_some());
    let devices = env.store.devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].device.device_id, e.device_id);
    assert_eq!(devices[0].device.role, Role::Runner);
    assert!(devices[0].revoked_at.is_none());

    // Cancelled: refused with its own error; a used code cannot be cancelled.
    assert!(!env
        .store
        .cancel_enrolment(&listed[1].id, now)
        .await
        .unwrap());
    assert!(env
        .store
        .cancel_enrolment(&listed[2].id, now)
        .await
        .unwrap());
    assert!(!env
        .store
        .cancel_enrolment(&listed[2].id, now)
        .await
        .unwrap());
    assert!(!env.store.cancel_enrolment("no-such-id", now).await.unwrap());
    let err = env.new_phone().enrol(&env.url(), &first).await.unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    let listed = env.store.enrolments(10).await.unwrap();
    assert_eq!(listed[2].cancelled_at, Some(now));
    assert!(env.new_phone().enrol(&env.url(), &third).await.is_ok());

    // Revoked devices stay listed, with when.
    env.store
        .revoke_device(&e.device_id, now + 5)
        .await
        .unwrap();
    let devices = env.store.devices().await.unwrap();
    assert_eq!(devices.len(), 2);
    let revoked = devices
        .iter()
        .find(|d| d.device.device_id == e.device_id)
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(now + 5));
    assert!(revoked.device.revoked);
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn codes_are_listed_used_and_cancelled() {
        super::codes_are_listed_used_and_cancelled(super::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn codes_are_listed_used_and_cancelled() {
        super::codes_are_listed_used_and_cancelled(super::Backend::Postgres).await
    }
}
