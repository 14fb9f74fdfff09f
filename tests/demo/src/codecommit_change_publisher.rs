use aws_config::SdkConfig;
use testbed::Moto;
use testbed::sns::SubscribedTopics;

use crate::heading;

pub async fn run(_moto: &Moto, _sdk: &SdkConfig, _topics: &SubscribedTopics) {
    heading("4. CodeCommit change publisher");
    println!("(not built yet)");
}
