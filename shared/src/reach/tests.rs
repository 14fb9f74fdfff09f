use super::*;
use crate::events::EventError;

fn home() -> Home {
    Home {
        account_id: "111111111111".into(),
        region: "eu-west-1".into(),
    }
}

fn base() -> SdkConfig {
    SdkConfig::builder()
        .region(Region::new("eu-west-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}

fn hub(members: Option<&[&str]>) -> Reach {
    Reach::new(
        base(),
        home(),
        Some(Organization {
            organization_id: "o-a1b2c3d4e5".into(),
            spoke_role_name: "watchkeeper-spoke".into(),
            member_accounts: members.map(|list| list.iter().map(|a| (*a).to_owned()).collect()),
        }),
    )
}

fn place(account: &str, region: &str, member: bool) -> Place {
    Place {
        account_id: account.into(),
        region: region.into(),
        member,
    }
}

#[test]
fn single_account_mode_places_only_home_as_before() {
    let reach = Reach::new(base(), home(), None);
    assert_eq!(
        reach.place("111111111111", "eu-west-1", Scope::AccountAndRegion),
        Ok(Ok(place("111111111111", "eu-west-1", false)))
    );
    assert!(matches!(
        reach.place("222222222222", "eu-west-1", Scope::AccountAndRegion),
        Ok(Err(Elsewhere::Account { .. }))
    ));
    assert!(matches!(
        reach.place("111111111111", "us-east-1", Scope::AccountAndRegion),
        Ok(Err(Elsewhere::Region { .. }))
    ));
    // Reporting functions take their own account's events from any region,
    // and look them up at home.
    assert_eq!(
        reach.place("111111111111", "us-east-1", Scope::Account),
        Ok(Ok(place("111111111111", "eu-west-1", false)))
    );
}

#[test]
fn hub_mode_places_members_and_other_regions_where_they_happened() {
    let reach = hub(None);
    for scope in [Scope::AccountAndRegion, Scope::Account] {
        assert_eq!(
            reach.place("222222222222", "ap-southeast-2", scope),
            Ok(Ok(place("222222222222", "ap-southeast-2", true)))
        );
        assert_eq!(
            reach.place("111111111111", "us-east-1", scope),
            Ok(Ok(place("111111111111", "us-east-1", false)))
        );
    }
}

#[test]
fn hub_mode_skips_accounts_the_allow_list_leaves_out_naming_the_account() {
    let reach = hub(Some(&["222222222222"]));
    assert_eq!(
        reach.place("222222222222", "eu-west-1", Scope::AccountAndRegion),
        Ok(Ok(place("222222222222", "eu-west-1", true)))
    );
    let Ok(Err(elsewhere)) = reach.place("333333333333", "eu-west-1", Scope::AccountAndRegion)
    else {
        panic!("an unlisted account is skipped");
    };
    assert_eq!(
        elsewhere.to_string(),
        "event from account 333333333333, which MEMBER_ACCOUNTS of organization o-a1b2c3d4e5 does not list; it is not acted in"
    );
    // The hub's own account is always handled.
    assert!(matches!(
        reach.place("111111111111", "eu-west-1", Scope::AccountAndRegion),
        Ok(Ok(_))
    ));
}

#[test]
fn hub_mode_refuses_an_origin_it_cannot_place() {
    let reach = hub(None);
    assert!(matches!(
        reach.place("", "eu-west-1", Scope::Account),
        Err(EventError::Field { ref path, .. }) if path == "account"
    ));
    assert!(matches!(
        reach.place("222222222222", "", Scope::Account),
        Err(EventError::Field { ref path, .. }) if path == "region"
    ));
}

#[tokio::test]
async fn home_places_use_the_functions_own_configuration_in_their_region() {
    let reach = hub(None);
    let config = reach
        .sdk_config(&place("111111111111", "eu-west-1", false))
        .await
        .unwrap();
    assert_eq!(config.region().map(Region::as_ref), Some("eu-west-1"));
    let config = reach
        .sdk_config(&place("111111111111", "us-east-1", false))
        .await
        .unwrap();
    assert_eq!(config.region().map(Region::as_ref), Some("us-east-1"));
}

fn env(pairs: &[(&str, &str)]) -> EnvReader {
    EnvReader::from_map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

#[test]
fn settings_hub_mode_needs_a_spoke_role_and_valid_ids() {
    let mut reader = env(&[]);
    let reach = Reach::from_env(&mut reader, &base(), home());
    assert!(reader.finish().is_ok());
    assert_eq!(reach.organization(), None);

    let mut reader = env(&[("ORGANIZATION_ID", "o-a1b2c3d4e5")]);
    Reach::from_env(&mut reader, &base(), home());
    assert_eq!(
        reader.finish().unwrap_err().problems,
        vec!["SPOKE_ROLE_NAME is required but is not set"]
    );

    let mut reader = env(&[
        ("ORGANIZATION_ID", "org-1"),
        ("SPOKE_ROLE_NAME", "watchkeeper-spoke"),
        ("MEMBER_ACCOUNTS", "222222222222, prod"),
    ]);
    Reach::from_env(&mut reader, &base(), home());
    assert_eq!(
        reader.finish().unwrap_err().problems,
        vec![
            "ORGANIZATION_ID=\"org-1\" is not valid: expected an organization id such as o-a1b2c3d4e5",
            "MEMBER_ACCOUNTS lists \"prod\", which is not a 12-digit AWS account id",
        ]
    );

    let mut reader = env(&[
        ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
        ("SPOKE_ROLE_NAME", "watchkeeper-spoke"),
        ("MEMBER_ACCOUNTS", "222222222222,333333333333"),
    ]);
    let reach = Reach::from_env(&mut reader, &base(), home());
    assert!(reader.finish().is_ok());
    assert_eq!(
        reach.organization().unwrap().member_accounts,
        Some(["222222222222".to_owned(), "333333333333".to_owned()].into())
    );
}

#[test]
fn credentials_are_refreshed_five_minutes_before_they_expire() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let expiring = |in_secs: u64| {
        Credentials::new(
            "a",
            "s",
            None,
            Some(now + Duration::from_secs(in_secs)),
            "test",
        )
    };
    assert!(fresh(&expiring(3600), now));
    assert!(!fresh(&expiring(299), now));
    assert!(fresh(&Credentials::new("a", "s", None, None, "test"), now));
}
