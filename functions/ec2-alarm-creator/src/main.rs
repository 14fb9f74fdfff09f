#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    watchkeeper_shared::runtime::main::<ec2_alarm_creator::App>().await
}
