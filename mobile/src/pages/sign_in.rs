//! 登录: the server, the cadre's username and password. Shown instead of the screens while the
//! phone is not enrolled, and above them when the session expired (capture goes on meanwhile;
//! nothing recorded is touched by signing in again).

use crate::state::{start_sync, use_app_state, use_services, Notice, SignInNeed};
use crate::strings;
use dioxus::prelude::*;

#[component]
pub fn SignIn() -> Element {
    let state = use_app_state();
    let services = use_services();
    let account = state.account.read();
    let need = account.sign_in;
    let known_server = account.server_url.clone().unwrap_or_default();
    drop(account);
    let mut server = use_signal(move || known_server);
    let mut username = use_signal(String::new);
    let mut password = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut failure = use_signal(|| None::<String>);
    let submit = move |_| {
        if *busy.peek() {
            return;
        }
        busy.set(true);
        failure.set(None);
        let services = services.clone();
        let (url, user, pass) = (
            server.peek().clone(),
            username.peek().clone(),
            password.peek().clone(),
        );
        spawn(async move {
            let result = services.sign_in(&url, &user, &pass).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    password.set(String::new());
                    state.refresh(&services, Some(Notice::Saved(strings::SIGNED_IN.into())));
                    start_sync(state, services);
                }
                Err(e) => failure.set(Some(format!("{}：{e}", strings::SIGN_IN_FAILED))),
            }
        });
    };
    rsx! {
        div { class: "card sign-in",
            h2 { "{strings::SIGN_IN_TITLE}" }
            if need == Some(SignInNeed::Expired) {
                p { class: "notice err", "{strings::SIGN_IN_AGAIN}" }
            }
            label { "{strings::SERVER_URL}"
                input {
                    r#type: "url",
                    name: "server",
                    placeholder: "https://",
                    value: "{server}",
                    oninput: move |e| server.set(e.value()),
                }
            }
            label { "{strings::USERNAME}"
                input {
                    r#type: "text",
                    name: "username",
                    autocomplete: "username",
                    value: "{username}",
                    oninput: move |e| username.set(e.value()),
                }
            }
            label { "{strings::PASSWORD}"
                input {
                    r#type: "password",
                    name: "password",
                    autocomplete: "current-password",
                    value: "{password}",
                    oninput: move |e| password.set(e.value()),
                }
            }
            if let Some(f) = failure() {
                p { class: "notice err", "{f}" }
            }
            button {
                disabled: busy(),
                onclick: submit,
                if busy() { "{strings::SIGNING_IN}" } else { "{strings::SIGN_IN}" }
            }
        }
    }
}
