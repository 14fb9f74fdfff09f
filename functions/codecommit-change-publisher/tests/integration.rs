//! The CodeCommit change publisher end to end: sample events in, the real
//! SDK reading commits from the local CodeCommit (over real git
//! repositories) and publishing to SNS in moto, notifications out through
//! an SQS subscriber.

use watchkeeper_shared::runtime::ErrorKind;
use watchkeeper_shared::runtime::InvocationError;

use serde_json::Value;

use codecommit_change_publisher::{App, HandlerError, Report, handle};
use testbed::Moto;
use testbed::codecommit::{CodeCommitServer, GitRepo, Signature};
use testbed::events::{load, push_event, with_detail};
use testbed::sns::SubscribedTopics;

const REPOSITORY: &str = "payments-service";
const FOOTER: &str = "\n--\nSent by Watchkeeper (codecommit-change-publisher)\n";
const CALLER: &str = "arn:aws:iam::123456789012:user/alice";

/// Environment variables for the function beyond the topics.
type Settings<'a> = &'a [(&'a str, &'a str)];

struct Bed {
    moto: Moto,
    topics: SubscribedTopics,
    server: CodeCommitServer,
    repo: GitRepo,
    app: App,
}

/// What subscribers received for the one notification published.
#[derive(Debug)]
struct Received {
    subject: String,
    severity: String,
    default: String,
    email: String,
    sms: String,
}

impl Bed {
    async fn start(settings: Settings<'_>) -> Self {
        let testbed::Bed {
            moto, topics, sdk, ..
        } = testbed::Bed::start().await;
        let server = CodeCommitServer::start().await;
        let repo = server.create_repository(REPOSITORY);
        let env = testbed::function_env(
            &topics.topics,
            testbed::dynamodb::IDEMPOTENCY_TABLE,
            settings,
        );
        let app = App::from_env_with_codecommit(&sdk, &server.sdk_config().await, env)
            .expect("valid configuration");
        Self {
            moto,
            topics,
            server,
            repo,
            app,
        }
    }

    async fn handle(&self, event: &Value) -> Result<Report, HandlerError> {
        handle(&self.app, event).await
    }

    /// The one notification sent: as SNS received it and as the warning
    /// topic's SQS subscriber got it; nothing went to the critical topic.
    async fn received(&self) -> Received {
        let published = self.moto.published().await;
        assert_eq!(published.len(), 1, "{published:?}");
        let published = &published[0];
        assert_eq!(published.topic_arn, self.topics.topics.warning_topic_arn);
        let delivered = self.topics.warning_deliveries().await;
        assert_eq!(delivered.len(), 1, "{delivered:?}");
        assert!(self.topics.critical_deliveries().await.is_empty());
        let delivered = &delivered[0];
        assert_eq!(delivered.subject, published.subject);
        assert_eq!(delivered.message, published.body("default"));
        assert_eq!(
            delivered.attributes.get("source").map(String::as_str),
            Some("codecommit-change-publisher")
        );
        Received {
            subject: delivered.subject.clone().unwrap_or_default(),
            severity: delivered.attributes["severity"].clone(),
            default: delivered.message.clone(),
            email: published.body("email"),
            sms: published.body("sms"),
        }
    }

    async fn nothing_sent(&self) {
        assert!(self.moto.published().await.is_empty());
        assert!(self.topics.warning_deliveries().await.is_empty());
        assert!(self.topics.critical_deliveries().await.is_empty());
    }
}

impl Received {
    /// Checks every body exactly; the email is the full text plus the footer.
    fn assert(&self, subject: &str, severity: &str, body: &str, sms: &str) {
        assert_eq!(self.subject, subject);
        assert_eq!(self.severity, severity);
        assert_eq!(self.default, body, "\n--- got ---\n{}", self.default);
        assert_eq!(self.email, format!("{body}{FOOTER}"));
        assert_eq!(self.sms, sms);
    }
}

fn heading(text: &str) -> String {
    format!("{text}\n{}\n", "-".repeat(text.chars().count()))
}

fn short(id: &str) -> &str {
    &id[..7]
}

fn push_header(title: &str, severity: &str, commits: usize, old: &str, new: &str) -> String {
    format!(
        "{title}\n\nSeverity: {severity}\nRepository: {REPOSITORY}\nBranch: main\nCommits: {commits}\nPrevious head: {old}\nNew head: {new}\nPushed by: {CALLER}\n"
    )
}

/// The email section of one commit authored by Alice, `minute` minutes
/// after the first commit.
fn alice_commit(id: &str, minute: u32, message: &[&str], files: &str) -> String {
    let subject = message[0];
    let message: String = message
        .iter()
        .map(|line| {
            if line.is_empty() {
                "\n".to_owned()
            } else {
                format!("    {line}\n")
            }
        })
        .collect();
    format!(
        "\n{}Commit: {id}\nAuthor: Alice Example <alice@example.com>, 2023-11-14 22:{:02} UTC\n\n{message}\n{files}",
        heading(&format!("{} {subject}", short(id))),
        13 + minute
    )
}

fn initial_commit(repo: &mut GitRepo) -> String {
    repo.write("README.md", "# Payments\n");
    repo.write("src/lib.rs", "pub fn pay() {}\n");
    repo.commit("Initial import")
}

#[tokio::test]
async fn single_commit_push_lists_author_message_and_files() {
    let mut bed = Bed::start(&[]).await;
    let first = initial_commit(&mut bed.repo);
    bed.repo
        .write("README.md", "# Payments\n\nRetries included.\n");
    bed.repo.write("src/retry.rs", "pub fn retry() {}\n");
    let second = bed
        .repo
        .commit("Add payment retries\n\nRetries failed card payments twice before giving up.\n");

    let report = bed.handle(&push_event(&second, &first)).await.unwrap();

    let Report::Published {
        commits, subject, ..
    } = &report
    else {
        panic!("{report:?}")
    };
    assert_eq!(*commits, 1);
    assert_eq!(
        subject,
        "[payments-service] 1 commit pushed to main by Alice Example"
    );
    let body = format!(
        "{}{}",
        push_header(
            "[payments-service] 1 commit pushed to main by Alice Example",
            "INFO",
            1,
            &first,
            &second
        ),
        alice_commit(
            &second,
            1,
            &[
                "Add payment retries",
                "",
                "Retries failed card payments twice before giving up."
            ],
            "2 files changed: 1 added, 1 modified\n  modified     README.md\n  added        src/retry.rs\n"
        )
    );
    bed.received().await.assert(
        "[payments-service] 1 commit pushed to main by Alice Example",
        "info",
        &body,
        &format!(
            "INFO: [payments-service] 1 commit pushed to main by Alice Example: {} Add payment retries",
            short(&second)
        ),
    );
    assert_eq!(bed.server.count_calls("GetCommit"), 1);
    assert_eq!(bed.server.count_calls("GetDifferences"), 1);
}

#[tokio::test]
async fn several_commits_are_listed_newest_first_with_each_author() {
    let mut bed = Bed::start(&[]).await;
    let first = initial_commit(&mut bed.repo);
    let bob = Signature::new("Bob Builder", "bob@example.com");
    let carol = Signature::new("Carol Jones", "carol@example.com");
    bed.repo.write("src/a.rs", "a\n");
    let a = bed.repo.commit_by("Add a", &bob, &bob);
    bed.repo.write("src/b.rs", "b\n");
    let b = bed.repo.commit("Add b");
    bed.repo.write("src/c.rs", "c\n");
    let c = bed.repo.commit_by("Add c", &carol, &bob);

    let report = bed.handle(&push_event(&c, &first)).await.unwrap();

    assert!(matches!(report, Report::Published { commits: 3, .. }));
    let title = "[payments-service] 3 commits pushed to main by Carol Jones and 2 others";
    let body = format!(
        "{}\n{}Commit: {c}\nAuthor: Carol Jones <carol@example.com>, 2023-11-14 22:16 UTC\nCommitter: Bob Builder <bob@example.com>, 2023-11-14 22:16 UTC\n\n    Add c\n\n1 file changed: 1 added\n  added        src/c.rs\n{}\n{}Commit: {a}\nAuthor: Bob Builder <bob@example.com>, 2023-11-14 22:14 UTC\n\n    Add a\n\n1 file changed: 1 added\n  added        src/a.rs\n",
        push_header(title, "INFO", 3, &first, &c),
        heading(&format!("{} Add c", short(&c))),
        alice_commit(
            &b,
            2,
            &["Add b"],
            "1 file changed: 1 added\n  added        src/b.rs\n"
        ),
        heading(&format!("{} Add a", short(&a))),
    );
    bed.received().await.assert(
        title,
        "info",
        &body,
        &format!("INFO: {title}: {} Add c", short(&c)),
    );
}

#[tokio::test]
async fn the_first_commit_of_a_repository_is_compared_with_nothing() {
    let mut bed = Bed::start(&[]).await;
    let first = initial_commit(&mut bed.repo);
    let event = with_detail(
        with_detail(
            load("codecommit-branch-created.json"),
            "commitId",
            first.as_str(),
        ),
        "referenceName",
        "main",
    );

    bed.handle(&event).await.unwrap();

    let title = format!(
        "[payments-service] New branch main at {} by alice",
        short(&first)
    );
    let body = format!(
        "{title}\n\nSeverity: INFO\nRepository: {REPOSITORY}\nBranch: main\nHead commit: {first}\nPushed by: {CALLER}\n\n{}Commit: {first}\nAuthor: Alice Example <alice@example.com>, 2023-11-14 22:13 UTC\nFirst commit of the repository: every file is new\n\n    Initial import\n\n2 files changed: 2 added\n  added        README.md\n  added        src/lib.rs\n",
        heading(&format!("{} Initial import", short(&first)))
    );
    bed.received().await.assert(
        &title,
        "info",
        &body,
        &format!("INFO: {title}: Initial import"),
    );
    let differences = bed
        .server
        .calls()
        .into_iter()
        .find(|call| call.operation == "GetDifferences")
        .expect("a GetDifferences call");
    assert_eq!(differences.request.get("beforeCommitSpecifier"), None);
}

#[tokio::test]
async fn a_merge_is_marked_and_compared_with_its_first_parent() {
    let mut bed = Bed::start(&[]).await;
    let first = initial_commit(&mut bed.repo);
    bed.repo.new_branch("feature");
    bed.repo.write("src/feature.rs", "feature\n");
    let feature = bed.repo.commit("Add feature");
    bed.repo.switch("main");
    bed.repo.write("README.md", "# Payments service\n");
    let mainline = bed.repo.commit("Rename heading");
    let merge = bed.repo.merge("feature", "Merge branch 'feature'");

    let report = bed.handle(&push_event(&merge, &mainline)).await.unwrap();

    // The merge and the feature commit it brought in.
    assert!(matches!(report, Report::Published { commits: 2, .. }));
    let title = "[payments-service] 2 commits pushed to main by Alice Example";
    let body = format!(
        "{}\n{}Commit: {merge}\nAuthor: Alice Example <alice@example.com>, 2023-11-14 22:16 UTC\nMerge commit of {} and {}; files compared with its first parent {}\n\n    Merge branch 'feature'\n\n1 file changed: 1 added\n  added        src/feature.rs\n{}",
        push_header(title, "INFO", 2, &mainline, &merge),
        heading(&format!("{} Merge branch 'feature'", short(&merge))),
        short(&mainline),
        short(&feature),
        short(&mainline),
        alice_commit(
            &feature,
            1,
            &["Add feature"],
            "1 file changed: 1 added\n  added        src/feature.rs\n"
        ),
    );
    bed.received().await.assert(
        title,
        "info",
        &body,
        &format!("INFO: {title}: {} Merge branch 'feature'", short(&merge)),
    );
    assert_ne!(first, mainline);
}

#[tokio::test]
async fn a_merged_feature_branch_lists_its_commits_with_their_authors() {
    let mut bed = Bed::start(&[]).await;
    let first = initial_commit(&mut bed.repo);
    let bob = Signature::new("Bob Builder", "bob@example.com");
    let carol = Signature::new("Carol Jones", "carol@example.com");
    bed.repo.new_branch("feature/refunds");
    bed.repo.write("src/refund.rs", "pub fn refund() {}\n");
    let refund = bed.repo.commit_by("Add refunds", &bob, &bob);
    bed.repo
        .write("src/refund.rs", "pub fn refund() -> bool { true }\n");
    let result = bed.repo.commit_by("Report refund results", &carol, &carol);
    bed.repo.switch("main");
    let merge = bed
        .repo
        .merge("feature/refunds", "Merge branch 'feature/refunds'");

    let report = bed.handle(&push_event(&merge, &first)).await.unwrap();

    assert!(matches!(report, Report::Published { commits: 3, .. }));
    let title = "[payments-service] 3 commits pushed to main by Alice Example and 2 others";
    let body = format!(
        "{}\n{}Commit: {merge}\nAuthor: Alice Example <alice@example.com>, 2023-11-14 22:16 UTC\nMerge commit of {} and {}; files compared with its first parent {}\n\n    Merge branch 'feature/refunds'\n\n1 file changed: 1 added\n  added        src/refund.rs\n\n{}Commit: {result}\nAuthor: Carol Jones <carol@example.com>, 2023-11-14 22:15 UTC\n\n    Report refund results\n\n1 file changed: 1 modified\n  modified     src/refund.rs\n\n{}Commit: {refund}\nAuthor: Bob Builder <bob@example.com>, 2023-11-14 22:14 UTC\n\n    Add refunds\n\n1 file changed: 1 added\n  added        src/refund.rs\n",
        push_header(title, "INFO", 3, &first, &merge),
        heading(&format!("{} Merge branch 'feature/refunds'", short(&merge))),
        short(&first),
        short(&result),
        short(&first),
        heading(&format!("{} Report refund results", short(&result))),
        heading(&format!("{} Add refunds", short(&refund))),
    );
    bed.received().await.assert(
        title,
        "info",
        &body,
        &format!(
            "INFO: {title}: {} Merge branch 'feature/refunds'",
            short(&merge)
        ),
    );
    // The merge, its two branch commits, and the previous head, which
    // stops the walk; nothing older. Each listed commit is diffed once.
    let fetched: Vec<String> = bed
        .server
        .calls()
        .into_iter()
        .filter(|call| call.operation == "GetCommit")
        .map(|call| {
            call.request["commitId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(fetched, vec![merge.clone(), first.clone(), result, refund]);
    assert_eq!(bed.server.count_calls("GetDifferences"), 3);
}

/// One single-commit push whose commit only changes files as `change` does.
async fn file_change_push(change: impl FnOnce(&GitRepo), message: &str) -> (Bed, String, String) {
    let mut bed = Bed::start(&[]).await;
    bed.repo.write("README.md", "# Payments\n");
    bed.repo.write(
        "docs/guide.md",
        "A guide long enough to be recognised when renamed.\n",
    );
    bed.repo.write("run.sh", "#!/bin/sh\necho run\n");
    let first = bed.repo.commit("Initial import");
    change(&bed.repo);
    let second = bed.repo.commit(message);
    bed.handle(&push_event(&second, &first)).await.unwrap();
    (bed, first, second)
}

async fn assert_single_file_change(
    bed: &Bed,
    first: &str,
    second: &str,
    message: &str,
    files: &str,
) {
    let title = "[payments-service] 1 commit pushed to main by Alice Example";
    let body = format!(
        "{}{}",
        push_header(title, "INFO", 1, first, second),
        alice_commit(second, 1, &[message], files)
    );
    bed.received().await.assert(
        title,
        "info",
        &body,
        &format!("INFO: {title}: {} {message}", short(second)),
    );
}

#[tokio::test]
async fn a_rename_shows_both_paths() {
    let (bed, first, second) = file_change_push(
        |repo| repo.rename("docs/guide.md", "docs/user-guide.md"),
        "Rename the guide",
    )
    .await;
    assert_single_file_change(
        &bed,
        &first,
        &second,
        "Rename the guide",
        "1 file changed: 1 renamed\n  renamed      docs/guide.md -> docs/user-guide.md\n",
    )
    .await;
}

#[tokio::test]
async fn a_deletion_is_shown() {
    let (bed, first, second) =
        file_change_push(|repo| repo.remove("run.sh"), "Remove the run script").await;
    assert_single_file_change(
        &bed,
        &first,
        &second,
        "Remove the run script",
        "1 file changed: 1 deleted\n  deleted      run.sh\n",
    )
    .await;
}

#[tokio::test]
async fn a_mode_change_is_shown() {
    let (bed, first, second) = file_change_push(
        |repo| repo.make_executable("run.sh"),
        "Make the run script executable",
    )
    .await;
    assert_single_file_change(
        &bed,
        &first,
        &second,
        "Make the run script executable",
        "1 file changed: 1 mode changed\n  mode changed run.sh (file 100644 -> executable 100755)\n",
    )
    .await;
}

#[tokio::test]
async fn a_force_push_says_history_was_rewritten() {
    let mut bed = Bed::start(&[]).await;
    let first = initial_commit(&mut bed.repo);
    bed.repo.write("src/a.rs", "a\n");
    let kept = bed.repo.commit("Add a");
    bed.repo.write("src/b.rs", "b\n");
    let replaced = bed.repo.commit("Add b");
    bed.repo.reset_hard(&kept);
    bed.repo.write("src/b.rs", "better b\n");
    let new = bed.repo.commit("Add a better b");

    let report = bed.handle(&push_event(&new, &replaced)).await.unwrap();

    assert!(matches!(report, Report::Published { commits: 1, .. }));
    let title = "[payments-service] Force push to main by Alice Example: 1 new commit";
    let body = format!(
        "{}\n{}The previous head {} is no longer on main: 1 commit after {} was replaced. The commits below are new on main since {}.\n{}",
        push_header(title, "WARNING", 1, &replaced, &new),
        heading("Force push: history rewritten"),
        short(&replaced),
        short(&kept),
        short(&kept),
        alice_commit(
            &new,
            3,
            &["Add a better b"],
            "1 file changed: 1 added\n  added        src/b.rs\n"
        ),
    );
    bed.received().await.assert(
        title,
        "warning",
        &body,
        &format!("WARNING: {title}: {} Add a better b", short(&new)),
    );
    assert_ne!(first, kept);
}

#[tokio::test]
async fn files_beyond_one_page_are_all_counted_and_long_lists_cut() {
    let mut bed = Bed::start(&[("MAX_FILES_PER_COMMIT", "5")]).await;
    let first = initial_commit(&mut bed.repo);
    for index in 1..=7 {
        bed.repo.write(
            &format!("migrations/{index:03}.sql"),
            &format!("-- {index}\n"),
        );
    }
    let second = bed.repo.commit("Add migrations");

    bed.handle(&push_event(&second, &first)).await.unwrap();

    let listed: String = (1..=5)
        .map(|index| format!("  added        migrations/{index:03}.sql\n"))
        .collect();
    assert_single_file_change(
        &bed,
        &first,
        &second,
        "Add migrations",
        &format!("7 files changed: 7 added\n{listed}  \u{2026} and 2 more files\n"),
    )
    .await;
    // Seven files, two a page.
    assert_eq!(bed.server.count_calls("GetDifferences"), 4);
}

#[tokio::test]
async fn commits_beyond_the_cap_are_counted() {
    let mut bed = Bed::start(&[("MAX_COMMITS", "2")]).await;
    let first = initial_commit(&mut bed.repo);
    let mut ids = Vec::new();
    for index in 1..=4 {
        bed.repo.write(&format!("src/m{index}.rs"), "m\n");
        ids.push(bed.repo.commit(&format!("Add module {index}")));
    }

    let report = bed.handle(&push_event(&ids[3], &first)).await.unwrap();

    assert!(matches!(report, Report::Published { commits: 4, .. }));
    let title = "[payments-service] 4 commits pushed to main by Alice Example";
    let body = format!(
        "{}{}{}\n{}\u{2026} and 2 earlier commits (not listed)\n",
        push_header(title, "INFO", 4, &first, &ids[3]),
        alice_commit(
            &ids[3],
            4,
            &["Add module 4"],
            "1 file changed: 1 added\n  added        src/m4.rs\n"
        ),
        alice_commit(
            &ids[2],
            3,
            &["Add module 3"],
            "1 file changed: 1 added\n  added        src/m3.rs\n"
        ),
        heading("Earlier commits"),
    );
    bed.received().await.assert(
        title,
        "info",
        &body,
        &format!("INFO: {title}: {} Add module 4", short(&ids[3])),
    );
    // Only listed commits are diffed; the others are only counted.
    assert_eq!(bed.server.count_calls("GetDifferences"), 2);
    assert_eq!(bed.server.count_calls("GetCommit"), 4);
}

#[tokio::test]
async fn a_created_branch_shows_its_head_commit() {
    let mut bed = Bed::start(&[]).await;
    initial_commit(&mut bed.repo);
    bed.repo.new_branch("feature/login");
    bed.repo.write("src/login.rs", "login\n");
    let head = bed.repo.commit("Start the login page");
    let event = with_detail(
        load("codecommit-branch-created.json"),
        "commitId",
        head.as_str(),
    );

    let report = bed.handle(&event).await.unwrap();

    assert!(matches!(report, Report::Published { commits: 1, .. }));
    let title = format!(
        "[payments-service] New branch feature/login at {} by alice",
        short(&head)
    );
    let body = format!(
        "{title}\n\nSeverity: INFO\nRepository: {REPOSITORY}\nBranch: feature/login\nHead commit: {head}\nPushed by: {CALLER}\n{}",
        alice_commit(
            &head,
            1,
            &["Start the login page"],
            "1 file changed: 1 added\n  added        src/login.rs\n"
        )
    );
    bed.received().await.assert(
        &title,
        "info",
        &body,
        &format!("INFO: {title}: Start the login page"),
    );
}

#[tokio::test]
async fn a_deleted_branch_needs_no_api_call() {
    let bed = Bed::start(&[]).await;
    let last = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

    let report = bed
        .handle(&load("codecommit-branch-deleted.json"))
        .await
        .unwrap();

    assert!(matches!(report, Report::Published { commits: 0, .. }));
    let title = "[payments-service] Branch feature/login deleted by alice";
    bed.received().await.assert(
        title,
        "info",
        &format!(
            "{title}\n\nSeverity: INFO\nRepository: {REPOSITORY}\nBranch: feature/login\nLast commit: {last}\nPushed by: {CALLER}\n"
        ),
        &format!("INFO: {title} (last commit 1a2b3c4)"),
    );
    assert!(bed.server.calls().is_empty());
}

#[tokio::test]
async fn a_created_tag_shows_its_commit() {
    let mut bed = Bed::start(&[]).await;
    let first = initial_commit(&mut bed.repo);
    bed.repo.write("CHANGELOG.md", "1.0\n");
    let release = bed.repo.commit("Release 1.0");
    bed.repo.tag("v1.0");
    let event = with_detail(
        load("codecommit-tag-created.json"),
        "commitId",
        release.as_str(),
    );

    bed.handle(&event).await.unwrap();

    let title = format!(
        "[payments-service] New tag v1.0 at {} by alice",
        short(&release)
    );
    let body = format!(
        "{title}\n\nSeverity: INFO\nRepository: {REPOSITORY}\nTag: v1.0\nHead commit: {release}\nPushed by: {CALLER}\n{}",
        alice_commit(
            &release,
            1,
            &["Release 1.0"],
            "1 file changed: 1 added\n  added        CHANGELOG.md\n"
        )
    );
    bed.received().await.assert(
        &title,
        "info",
        &body,
        &format!("INFO: {title}: Release 1.0"),
    );
    assert_ne!(first, release);
}

#[tokio::test]
async fn changes_outside_the_filters_are_skipped() {
    let cases: [(Settings, &str, &str); 3] = [
        (
            &[("REPOSITORY_NAMES", "billing,ledger")],
            "codecommit-branch-updated.json",
            "repository payments-service is not in REPOSITORY_NAMES",
        ),
        (
            &[("BRANCH_FILTER", "main,release/*")],
            "codecommit-branch-created.json",
            "branch feature/login does not match the branch filter (main, release/*)",
        ),
        (
            &[("REPORT_TAGS", "false")],
            "codecommit-tag-created.json",
            "tag v1.0 changed and tags are not reported (REPORT_TAGS=false)",
        ),
    ];
    for (settings, event, reason) in cases {
        let bed = Bed::start(settings).await;
        let report = bed.handle(&load(event)).await.unwrap();
        assert_eq!(report, skipped(reason));
        bed.nothing_sent().await;
        assert!(bed.server.calls().is_empty());
    }
}

#[tokio::test]
async fn other_events_are_skipped_and_malformed_ones_name_the_field() {
    let bed = Bed::start(&[]).await;
    let report = bed
        .handle(&load("ec2-instance-running.json"))
        .await
        .unwrap();
    assert_eq!(
        report,
        skipped(
            "not a CodeCommit repository state-change event (source \"aws.ec2\", detail-type \"EC2 Instance State-change Notification\")"
        )
    );
    let mut no_old = load("codecommit-branch-updated.json");
    no_old["detail"]
        .as_object_mut()
        .expect("detail object")
        .remove("oldCommitId");
    let error = bed.handle(&no_old).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadEvent);
    assert_eq!(
        error.to_string(),
        "event field `detail.oldCommitId` is malformed: missing; referenceUpdated events carry it"
    );
    bed.nothing_sent().await;
}

#[tokio::test]
async fn an_unreferenced_merge_commit_is_skipped_on_its_kind() {
    let bed = Bed::start(&[]).await;
    let event = load("codecommit-unreferenced-merge-commit.json");
    let report = bed.handle(&event).await.unwrap();
    assert_eq!(
        report,
        skipped(
            "event unreferencedMergeCommitCreated is not reported: no branch points to the merge commit yet, and the branch update that adopts it is reported"
        )
    );
    // Any other kind of the same detail type is skipped the same way.
    let comment = testbed::events::with_detail(event, "event", "commentOnCommitCreated");
    assert_eq!(
        bed.handle(&comment).await.unwrap(),
        skipped("event commentOnCommitCreated is not reported")
    );
    bed.nothing_sent().await;
    assert!(bed.server.calls().is_empty());
}

#[tokio::test]
async fn codecommit_errors_fail_the_invocation_and_nothing_is_sent() {
    let mut bed = Bed::start(&[]).await;
    let first = initial_commit(&mut bed.repo);
    let unknown = "0123456789abcdef0123456789abcdef01234567";

    let error = bed.handle(&push_event(unknown, &first)).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::AwsError);
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "CodeCommit GetCommit for commit {unknown} in repository payments-service failed: "
        )),
        "{message}"
    );
    assert!(
        message.contains("CommitIdDoesNotExistException"),
        "{message}"
    );
    bed.nothing_sent().await;

    let mut missing_repository = push_event(&first, &first);
    missing_repository["detail"]["repositoryName"] = "no-such-repo".into();
    missing_repository["detail"]["commitId"] = unknown.into();
    let error = bed.handle(&missing_repository).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("RepositoryDoesNotExistException"),
        "{error}"
    );
}

#[tokio::test]
async fn the_same_event_delivered_twice_publishes_once() {
    let bed = Bed::start(&[]).await;
    let event = load("codecommit-branch-deleted.json");
    let first = bed.handle(&event).await.unwrap();
    assert!(matches!(first, Report::Published { .. }), "{first:?}");
    let again = bed.handle(&event).await.unwrap();
    testbed::assert_duplicate::<App>(&again, &event);
    bed.received().await;
}

#[tokio::test]
async fn an_attempt_that_fails_after_publishing_is_not_repeated_by_its_retry() {
    let mut bed = Bed::start(&[]).await;
    let event = load("codecommit-branch-deleted.json");
    let working = bed.app.guard.clone();
    let refuse = testbed::refuse::Refuse::action("UpdateItem");
    let sdk = bed.moto.sdk_config().await;
    bed.app.guard = working
        .clone()
        .with_client(testbed::dynamodb::client_refusing(&sdk, &refuse));
    let error = bed.handle(&event).await.unwrap_err();
    assert_eq!(
        (refuse.refused(), error.kind()),
        (1, ErrorKind::AwsError),
        "{error}"
    );

    bed.app.guard = working;
    let error = bed.handle(&event).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InProgressElsewhere, "{error}");
    bed.received().await;
}

/// A skip, compared with a report by its sentence.
#[derive(Debug)]
struct Skip(String);

impl PartialEq<Skip> for Report {
    fn eq(&self, skip: &Skip) -> bool {
        matches!(self, Report::Skipped { reason } if reason.to_string() == skip.0)
    }
}

fn skipped(reason: &str) -> Skip {
    Skip(reason.to_owned())
}

/// Hub mode (issue 14): a push in a member account is read through the
/// member's spoke role (credentials from moto's STS, once per warm
/// function) and named by account (id and the member's own alias, read
/// through the same role) and region. The local CodeCommit server
/// keeps one repository set for every account, so this checks the route
/// (placement, assumed credentials, the client for that place), not
/// CodeCommit's account isolation.
#[tokio::test]
async fn in_hub_mode_a_member_accounts_push_is_read_there_and_names_the_account() {
    let mut bed = Bed::start(&[
        ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
        ("SPOKE_ROLE_NAME", "watchkeeper-spoke"),
    ])
    .await;
    let first = initial_commit(&mut bed.repo);
    bed.repo.write("src/retry.rs", "pub fn retry() {}\n");
    let second = bed.repo.commit("Add payment retries");
    let mut event = push_event(&second, &first);
    event["account"] = "222222222222".into();
    event["region"] = "ap-southeast-2".into();
    let member = testbed::iam::member_account(
        &bed.moto.sdk_config().await,
        "222222222222",
        testbed::REGION,
    )
    .await;
    testbed::iam::create_account_alias(&member, "team-repos").await;
    let assumed_by_the_test = bed.moto.count_calls("sts", "AssumeRole").await;

    let report = bed.handle(&event).await.expect("the member's push is read");
    assert!(
        matches!(report, Report::Published { commits: 1, .. }),
        "{report:?}"
    );
    let received = bed.received().await;
    assert!(
        received
            .email
            .contains("Account: team-repos (222222222222)\nRegion: ap-southeast-2\n"),
        "{}",
        received.email
    );
    assert_eq!(
        bed.moto.count_calls("sts", "AssumeRole").await - assumed_by_the_test,
        1,
        "one role assumption serves the commits and the alias"
    );
    assert!(bed.server.count_calls("GetCommit") >= 1);
}
