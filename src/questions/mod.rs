//! TEMPORARY stub until the questions module lands.
pub mod bank {
    #[derive(Default)]
    pub struct Bank;
}
pub mod openai {
    pub struct OpenAiConfig {
        pub api_key: String,
        pub base_url: Option<String>,
        pub model: String,
        pub timeout: std::time::Duration,
    }
    pub struct OpenAiGenerator;
    impl OpenAiGenerator {
        pub fn new(_c: OpenAiConfig) -> Self {
            OpenAiGenerator
        }
    }
}
#[async_trait::async_trait]
pub trait QuestionProvider: Send + Sync {
    async fn question(&self, theme: Option<&str>, exclude: &[String]) -> Question;
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub text: String,
}
pub struct FallbackProvider;
impl FallbackProvider {
    pub fn new(_a: Option<openai::OpenAiGenerator>, _b: bank::Bank) -> Self {
        FallbackProvider
    }
    pub fn bank_only() -> Self {
        FallbackProvider
    }
}
#[async_trait::async_trait]
impl QuestionProvider for FallbackProvider {
    async fn question(&self, _t: Option<&str>, exclude: &[String]) -> Question {
        Question {
            text: format!("What is question number {}?", exclude.len() + 1),
        }
    }
}
