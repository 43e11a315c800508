//! Casebook's desktop face: the Tauri window over the engine. The shell only translates:
//! commands (in `commands/`) are a few lines that call one engine function off the async
//! runtime and map its error to `{code, message}`; every write is followed by one
//! `entities_changed` event so every open view refreshes itself.

mod commands;
pub mod notifications;
mod services;

use services::{Services, StartOptions};
use std::sync::Arc;
use tauri::Manager;

pub fn run() {
    let options = StartOptions::from_args(std::env::args().skip(1));
    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let data_dir = match &options.data_dir {
                Some(d) => d.clone(),
                None => app.path().app_data_dir()?,
            };
            // The troubleshooting log, also echoed to the terminal from warnings up; a folder
            // where it cannot be written is said once, and the app goes on without it.
            if let Err(e) = casebook::log_file::init(&data_dir, Some(casebook::log_file::LogLevel::Warn)) {
                eprintln!("casebook: {e}");
            }
            tracing::info!(data_dir = %data_dir.display(), version = env!("CARGO_PKG_VERSION"), "the app started");
            let services = Arc::new(Services::new(data_dir, options.now, app.handle().clone()));
            if let Err(e) = services.open_existing(options.demo_if_new) {
                tracing::error!(error = e.message.as_str(), "the workspace could not be opened");
            }
            services.start_alert_scheduler();
            services.start_sync();
            services.start_mail();
            app.manage(services);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace::workspace_state,
            commands::workspace::create_workspace,
            commands::workspace::join_workspace,
            commands::workspace::switch_agent,
            commands::tickets::view_counts,
            commands::tickets::saved_views,
            commands::tickets::save_view,
            commands::tickets::delete_view,
            commands::tickets::count_view,
            commands::tickets::list_tickets,
            commands::tickets::ticket_detail,
            commands::tickets::ticket_history,
            commands::tickets::check_new_ticket,
            commands::tickets::create_ticket,
            commands::tickets::add_message,
            commands::tickets::open_attachment,
            commands::tickets::set_field,
            commands::tickets::bulk_change,
            commands::tickets::apply_macro,
            commands::tickets::bulk_merge,
            commands::tickets::bulk_undo,
            commands::tickets::view_numbers,
            commands::tickets::snooze_ticket,
            commands::tickets::unsnooze_ticket,
            commands::tickets::follow_up,
            commands::tickets::customer_card,
            commands::tickets::set_status,
            commands::tickets::claim_ticket,
            commands::tickets::merge_tickets,
            commands::tickets::link_tickets,
            commands::tickets::mark_solution,
            commands::tickets::render_macro,
            commands::tickets::rate_ticket,
            commands::tickets::ticket_rating,
            commands::search::search_tickets,
            commands::search::similar_tickets,
            commands::search::similar_feedback,
            commands::search::ticket_predictions,
            commands::search::triage_text,
            commands::search::backlog_eta,
            commands::search::search_status,
            commands::settings::settings,
            commands::settings::save_sla_settings,
            commands::settings::add_agent,
            commands::settings::add_team,
            commands::settings::add_ticket_type,
            commands::settings::remove_ticket_type,
            commands::settings::save_macro,
            commands::settings::save_alert_settings,
            commands::health::health_check,
            commands::health::repair_health,
            commands::health::backup_now,
            commands::health::list_backups,
            commands::health::restore_backup,
            commands::health::log_entries,
            commands::health::open_log_folder,
            commands::alerts::alerts,
            commands::alerts::unread_alert_count,
            commands::alerts::mark_alert_read,
            commands::alerts::mark_all_alerts_read,
            commands::stats::stats,
            commands::stats::stats_tickets,
            commands::stats::export_stats_csv,
            commands::rules::rules,
            commands::rules::save_rule,
            commands::rules::set_rule_enabled,
            commands::rules::move_rule,
            commands::rules::delete_rule,
            commands::rules::reset_rule,
            commands::rules::try_rules,
            commands::rules::run_time_rules,
            commands::sync::sync_overview,
            commands::sync::sync_share,
            commands::sync::sync_set_paused,
            commands::sync::sync_conflicts,
            commands::sync::set_presence,
            commands::mail::mail_settings,
            commands::mail::save_mail_identity,
            commands::mail::save_mailbox,
            commands::mail::mail_check_now,
            commands::mail::mail_status,
            commands::mail::mail_log,
            commands::mail::mail_outbox,
            commands::mail::ticket_mail,
            commands::mail::mail_import,
            commands::mail::message_html,
            commands::mail::open_link,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running Casebook");
}
