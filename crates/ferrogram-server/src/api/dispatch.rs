//! Routing one query to its handler: the invoke wrappers unwrapped (at most
//! [`MAX_WRAPPER_DEPTH`](super::MAX_WRAPPER_DEPTH) deep), each served method by constructor id,
//! every other answered `400 INPUT_METHOD_INVALID` and logged by name.

use ferrogram_tl::{functions, Deserializable, Identifiable, RawQuery};

use super::failure::fail;
use super::{Api, Push, MAX_WRAPPER_DEPTH};
use crate::context::{CallContext, RpcError};

impl Api {
    pub(super) fn dispatch(
        &self,
        ctx: &CallContext,
        query: &[u8],
        depth: u32,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        use functions::{account, auth, contacts, help, langpack, messages as msg, updates, users};
        const INVOKE_WITH_LAYER: u32 = functions::InvokeWithLayer::<RawQuery>::CONSTRUCTOR_ID;
        const INIT_CONNECTION: u32 = functions::InitConnection::<RawQuery>::CONSTRUCTOR_ID;
        const INVOKE_WITHOUT_UPDATES: u32 = functions::InvokeWithoutUpdates::<RawQuery>::CONSTRUCTOR_ID;
        const INVOKE_AFTER_MSG: u32 = functions::InvokeAfterMsg::<RawQuery>::CONSTRUCTOR_ID;
        const GET_CONFIG: u32 = help::GetConfig::CONSTRUCTOR_ID;
        const GET_NEAREST_DC: u32 = help::GetNearestDc::CONSTRUCTOR_ID;
        const SEND_CODE: u32 = auth::SendCode::CONSTRUCTOR_ID;
        const RESEND_CODE: u32 = auth::ResendCode::CONSTRUCTOR_ID;
        const CANCEL_CODE: u32 = auth::CancelCode::CONSTRUCTOR_ID;
        const SIGN_IN: u32 = auth::SignIn::CONSTRUCTOR_ID;
        const SIGN_UP: u32 = auth::SignUp::CONSTRUCTOR_ID;
        const LOG_OUT: u32 = auth::LogOut::CONSTRUCTOR_ID;
        const IMPORT_BOT: u32 = auth::ImportBotAuthorization::CONSTRUCTOR_ID;
        const EXPORT_AUTH: u32 = auth::ExportAuthorization::CONSTRUCTOR_ID;
        const IMPORT_AUTH: u32 = auth::ImportAuthorization::CONSTRUCTOR_ID;
        const EXPORT_LOGIN_TOKEN: u32 = auth::ExportLoginToken::CONSTRUCTOR_ID;
        const ACCEPT_LOGIN_TOKEN: u32 = auth::AcceptLoginToken::CONSTRUCTOR_ID;
        const IMPORT_LOGIN_TOKEN: u32 = auth::ImportLoginToken::CONSTRUCTOR_ID;
        const GET_PASSWORD: u32 = account::GetPassword::CONSTRUCTOR_ID;
        const CHECK_PASSWORD: u32 = auth::CheckPassword::CONSTRUCTOR_ID;
        const GET_USERS: u32 = users::GetUsers::CONSTRUCTOR_ID;
        const GET_FULL_USER: u32 = users::GetFullUser::CONSTRUCTOR_ID;
        const GET_STATE: u32 = updates::GetState::CONSTRUCTOR_ID;
        const GET_DIFFERENCE: u32 = updates::GetDifference::CONSTRUCTOR_ID;
        const SEND_MESSAGE: u32 = msg::SendMessage::CONSTRUCTOR_ID;
        const FORWARD_MESSAGES: u32 = msg::ForwardMessages::CONSTRUCTOR_ID;
        const EDIT_MESSAGE: u32 = msg::EditMessage::CONSTRUCTOR_ID;
        const DELETE_MESSAGES: u32 = msg::DeleteMessages::CONSTRUCTOR_ID;
        const DELETE_HISTORY: u32 = msg::DeleteHistory::CONSTRUCTOR_ID;
        const READ_HISTORY: u32 = msg::ReadHistory::CONSTRUCTOR_ID;
        const SET_TYPING: u32 = msg::SetTyping::CONSTRUCTOR_ID;
        const GET_HISTORY: u32 = msg::GetHistory::CONSTRUCTOR_ID;
        const SEARCH: u32 = msg::Search::CONSTRUCTOR_ID;
        const GET_MESSAGES: u32 = msg::GetMessages::CONSTRUCTOR_ID;
        const GET_DIALOGS: u32 = msg::GetDialogs::CONSTRUCTOR_ID;
        const GET_PEER_DIALOGS: u32 = msg::GetPeerDialogs::CONSTRUCTOR_ID;
        const GET_PINNED_DIALOGS: u32 = msg::GetPinnedDialogs::CONSTRUCTOR_ID;
        const TOGGLE_DIALOG_PIN: u32 = msg::ToggleDialogPin::CONSTRUCTOR_ID;
        const REORDER_PINNED_DIALOGS: u32 = msg::ReorderPinnedDialogs::CONSTRUCTOR_ID;
        const UPDATE_PINNED_MESSAGE: u32 = msg::UpdatePinnedMessage::CONSTRUCTOR_ID;
        const GET_DIALOG_FILTERS: u32 = msg::GetDialogFilters::CONSTRUCTOR_ID;
        const GET_AVAILABLE_REACTIONS: u32 = msg::GetAvailableReactions::CONSTRUCTOR_ID;
        const GET_ALL_STICKERS: u32 = msg::GetAllStickers::CONSTRUCTOR_ID;
        const CREATE_CHAT: u32 = msg::CreateChat::CONSTRUCTOR_ID;
        const ADD_CHAT_USER: u32 = msg::AddChatUser::CONSTRUCTOR_ID;
        const DELETE_CHAT_USER: u32 = msg::DeleteChatUser::CONSTRUCTOR_ID;
        const EDIT_CHAT_TITLE: u32 = msg::EditChatTitle::CONSTRUCTOR_ID;
        const GET_CHATS: u32 = msg::GetChats::CONSTRUCTOR_ID;
        const GET_FULL_CHAT: u32 = msg::GetFullChat::CONSTRUCTOR_ID;
        // Peers: contacts, usernames, profiles (contacts.rs, profile.rs).
        const IMPORT_CONTACTS: u32 = contacts::ImportContacts::CONSTRUCTOR_ID;
        const ADD_CONTACT: u32 = contacts::AddContact::CONSTRUCTOR_ID;
        const GET_CONTACT_IDS: u32 = contacts::GetContactIDs::CONSTRUCTOR_ID;
        const RESOLVE_PHONE: u32 = contacts::ResolvePhone::CONSTRUCTOR_ID;
        const GET_CONTACTS: u32 = contacts::GetContacts::CONSTRUCTOR_ID;
        const DELETE_CONTACTS: u32 = contacts::DeleteContacts::CONSTRUCTOR_ID;
        const SEARCH_CONTACTS: u32 = contacts::Search::CONSTRUCTOR_ID;
        const RESOLVE_USERNAME: u32 = contacts::ResolveUsername::CONSTRUCTOR_ID;
        const GET_STATUSES: u32 = contacts::GetStatuses::CONSTRUCTOR_ID;
        const GET_BLOCKED: u32 = contacts::GetBlocked::CONSTRUCTOR_ID;
        const GET_TOP_PEERS: u32 = contacts::GetTopPeers::CONSTRUCTOR_ID;
        const UPDATE_USERNAME: u32 = account::UpdateUsername::CONSTRUCTOR_ID;
        const CHECK_USERNAME: u32 = account::CheckUsername::CONSTRUCTOR_ID;
        const UPDATE_PROFILE: u32 = account::UpdateProfile::CONSTRUCTOR_ID;
        const UPDATE_STATUS: u32 = account::UpdateStatus::CONSTRUCTOR_ID;
        const GET_NOTIFY_SETTINGS: u32 = account::GetNotifySettings::CONSTRUCTOR_ID;
        const GET_CONTENT_SETTINGS: u32 = account::GetContentSettings::CONSTRUCTOR_ID;
        const GET_PRIVACY: u32 = account::GetPrivacy::CONSTRUCTOR_ID;
        const GET_USER_PHOTOS: u32 = functions::photos::GetUserPhotos::CONSTRUCTOR_ID;
        // What clients ask at start (startup.rs).
        const GET_APP_CONFIG: u32 = help::GetAppConfig::CONSTRUCTOR_ID;
        const GET_COUNTRIES: u32 = help::GetCountriesList::CONSTRUCTOR_ID;
        const GET_PROMO_DATA: u32 = help::GetPromoData::CONSTRUCTOR_ID;
        const GET_TOS_UPDATE: u32 = help::GetTermsOfServiceUpdate::CONSTRUCTOR_ID;
        const GET_LANGUAGES: u32 = langpack::GetLanguages::CONSTRUCTOR_ID;
        const GET_LANG_PACK: u32 = langpack::GetLangPack::CONSTRUCTOR_ID;
        const GET_STRINGS: u32 = langpack::GetStrings::CONSTRUCTOR_ID;

        if depth > MAX_WRAPPER_DEPTH {
            return Err(fail(&[], "INPUT_REQUEST_TOO_LONG"));
        }
        let Some(id) = query.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes) else {
            return Err(fail(&[], "INPUT_FETCH_ERROR"));
        };
        if !matches!(id, INVOKE_WITH_LAYER | INIT_CONNECTION | INVOKE_WITHOUT_UPDATES | INVOKE_AFTER_MSG) {
            *self.execution_counts().entry(id).or_default() += 1;
        }
        match id {
            INVOKE_WITH_LAYER => {
                let wrapper: functions::InvokeWithLayer<RawQuery> = decode(query)?;
                if wrapper.layer <= 0 {
                    return Err(fail(&[], "INPUT_LAYER_INVALID"));
                }
                match self.store.set_auth_key_layer(ctx.auth_key_id, wrapper.layer) {
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "cannot record the client's layer"),
                }
                let inner = CallContext { layer: wrapper.layer, ..ctx.clone() };
                self.dispatch(&inner, &wrapper.query.0, depth + 1, pushes)
            }
            INIT_CONNECTION => {
                let wrapper: functions::InitConnection<RawQuery> = decode(query)?;
                let client = crate::store::ClientInfo {
                    api_id: Some(wrapper.api_id),
                    device_model: Some(wrapper.device_model),
                    system_version: Some(wrapper.system_version),
                    app_version: Some(wrapper.app_version),
                    lang_code: Some(wrapper.lang_code),
                };
                if let Err(error) = self.store.set_auth_key_client(ctx.auth_key_id, &client) {
                    tracing::warn!(%error, "cannot record initConnection");
                }
                let inner = CallContext { api_id: Some(wrapper.api_id), ..ctx.clone() };
                self.dispatch(&inner, &wrapper.query.0, depth + 1, pushes)
            }
            INVOKE_WITHOUT_UPDATES => {
                let wrapper: functions::InvokeWithoutUpdates<RawQuery> = decode(query)?;
                self.dispatch(ctx, &wrapper.query.0, depth + 1, pushes)
            }
            INVOKE_AFTER_MSG => {
                // Calls on one connection run in order, so "after msg_id" already holds.
                let wrapper: functions::InvokeAfterMsg<RawQuery> = decode(query)?;
                self.dispatch(ctx, &wrapper.query.0, depth + 1, pushes)
            }
            GET_CONFIG => self.get_config(ctx, decode(query)?),
            GET_NEAREST_DC => self.get_nearest_dc(ctx, decode(query)?),
            SEND_CODE => self.send_code(ctx, decode(query)?),
            RESEND_CODE => self.resend_code(ctx, decode(query)?),
            CANCEL_CODE => self.cancel_code(ctx, decode(query)?),
            SIGN_IN => self.sign_in(ctx, decode(query)?),
            SIGN_UP => self.sign_up(ctx, decode(query)?),
            LOG_OUT => self.log_out(ctx, decode(query)?),
            IMPORT_BOT => self.import_bot_authorization(ctx, decode(query)?),
            EXPORT_AUTH => self.export_authorization(ctx, decode(query)?),
            IMPORT_AUTH => self.import_authorization(ctx, decode(query)?),
            EXPORT_LOGIN_TOKEN => self.export_login_token(ctx, decode(query)?),
            ACCEPT_LOGIN_TOKEN => self.accept_login_token(ctx, decode(query)?, pushes),
            IMPORT_LOGIN_TOKEN => self.import_login_token(ctx, decode(query)?),
            GET_PASSWORD => self.get_password(ctx, decode(query)?),
            CHECK_PASSWORD => self.check_password(ctx, decode(query)?),
            GET_USERS => self.get_users(ctx, decode(query)?),
            GET_FULL_USER => self.get_full_user(ctx, decode(query)?),
            GET_STATE => self.get_state(ctx, decode(query)?),
            GET_DIFFERENCE => self.get_difference(ctx, decode(query)?),
            SEND_MESSAGE => self.send_message(ctx, decode(query)?, pushes),
            FORWARD_MESSAGES => self.forward_messages(ctx, decode(query)?, pushes),
            EDIT_MESSAGE => self.edit_message(ctx, decode(query)?, pushes),
            DELETE_MESSAGES => self.delete_messages(ctx, decode(query)?, pushes),
            DELETE_HISTORY => self.delete_history(ctx, decode(query)?, pushes),
            READ_HISTORY => self.read_history(ctx, decode(query)?, pushes),
            SET_TYPING => self.set_typing(ctx, decode(query)?, pushes),
            GET_HISTORY => self.get_history(ctx, decode(query)?),
            SEARCH => self.search(ctx, decode(query)?),
            GET_MESSAGES => self.get_messages(ctx, decode(query)?),
            GET_DIALOGS => self.get_dialogs(ctx, decode(query)?),
            GET_PEER_DIALOGS => self.get_peer_dialogs(ctx, decode(query)?),
            GET_PINNED_DIALOGS => self.get_pinned_dialogs(ctx, decode(query)?),
            TOGGLE_DIALOG_PIN => self.toggle_dialog_pin(ctx, decode(query)?, pushes),
            REORDER_PINNED_DIALOGS => self.reorder_pinned_dialogs(ctx, decode(query)?, pushes),
            UPDATE_PINNED_MESSAGE => self.update_pinned_message(ctx, decode(query)?, pushes),
            GET_DIALOG_FILTERS => self.get_dialog_filters(ctx, decode(query)?),
            GET_AVAILABLE_REACTIONS => self.get_available_reactions(ctx, decode(query)?),
            GET_ALL_STICKERS => self.get_all_stickers(ctx, decode(query)?),
            CREATE_CHAT => self.create_chat(ctx, decode(query)?, pushes),
            ADD_CHAT_USER => self.add_chat_user(ctx, decode(query)?, pushes),
            DELETE_CHAT_USER => self.delete_chat_user(ctx, decode(query)?, pushes),
            EDIT_CHAT_TITLE => self.edit_chat_title(ctx, decode(query)?, pushes),
            GET_CHATS => self.get_chats(ctx, decode(query)?),
            GET_FULL_CHAT => self.get_full_chat(ctx, decode(query)?),
            IMPORT_CONTACTS => self.import_contacts(ctx, decode(query)?),
            ADD_CONTACT => self.add_contact(ctx, decode(query)?),
            GET_CONTACT_IDS => self.get_contact_ids(ctx, decode(query)?),
            RESOLVE_PHONE => self.resolve_phone(ctx, decode(query)?),
            GET_CONTACTS => self.get_contacts(ctx, decode(query)?),
            DELETE_CONTACTS => self.delete_contacts(ctx, decode(query)?),
            SEARCH_CONTACTS => self.search_contacts(ctx, decode(query)?),
            RESOLVE_USERNAME => self.resolve_username(ctx, decode(query)?),
            GET_STATUSES => self.get_statuses(ctx, decode(query)?),
            GET_BLOCKED => self.get_blocked(ctx, decode(query)?),
            GET_TOP_PEERS => self.get_top_peers(ctx, decode(query)?),
            GET_USER_PHOTOS => self.get_user_photos(ctx, decode(query)?),
            UPDATE_USERNAME => self.update_username(ctx, decode(query)?),
            CHECK_USERNAME => self.check_username(ctx, decode(query)?),
            UPDATE_PROFILE => self.update_profile(ctx, decode(query)?),
            UPDATE_STATUS => self.update_status(ctx, decode(query)?),
            GET_NOTIFY_SETTINGS => self.get_notify_settings(ctx, decode(query)?),
            GET_CONTENT_SETTINGS => self.get_content_settings(ctx, decode(query)?),
            GET_PRIVACY => self.get_privacy(ctx, decode(query)?),
            GET_APP_CONFIG => self.get_app_config(ctx, decode(query)?),
            GET_COUNTRIES => self.get_countries_list(ctx, decode(query)?),
            GET_PROMO_DATA => self.get_promo_data(ctx, decode(query)?),
            GET_TOS_UPDATE => self.get_terms_of_service_update(ctx, decode(query)?),
            GET_LANGUAGES => self.get_languages(ctx, decode(query)?),
            GET_LANG_PACK => self.get_lang_pack(ctx, decode(query)?),
            GET_STRINGS => self.get_strings(ctx, decode(query)?),
            _ => {
                // At info: this is what a user reads to see which methods their client needs.
                let name = ferrogram_tl::name_for_id(id).unwrap_or("(not in our layer)");
                tracing::info!(method = name, id = format_args!("{id:#010x}"), "method not served: {name}");
                Err(fail(&[], "INPUT_METHOD_INVALID"))
            }
        }
    }
}

/// Decodes a whole request; a body that does not parse is `400 INPUT_FETCH_ERROR`.
pub(super) fn decode<T: Deserializable>(query: &[u8]) -> Result<T, RpcError> {
    T::from_bytes_exact(query).map_err(|error| {
        tracing::debug!(%error, "undecodable request");
        fail(&[], "INPUT_FETCH_ERROR")
    })
}
