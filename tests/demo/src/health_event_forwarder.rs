use aws_config::SdkConfig;
use testbed::Moto;
use testbed::sns::SubscribedTopics;

use crate::heading;

pub async fn run(_moto: &Moto, _sdk: &SdkConfig, _topics: &SubscribedTopics) {
    heading("5. Health event forwarder");
    println!("(not built yet)");
}
