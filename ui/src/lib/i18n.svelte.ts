// UI text in English and Korean. Follows the OS language; switchable in the sidebar.
const en = {
  "app.search": "Search",
  "views.my-open": "My open", "views.unassigned": "Unassigned", "views.breaching-soon": "Breaching soon",
  "views.pending": "Pending", "views.recently-solved": "Recently solved", "views.all": "All",
  "nav.settings": "Settings", "nav.new": "New ticket", "nav.shortcuts": "Shortcuts",
  "signed_in_as": "Signed in as",
  "list.empty": "No tickets here.", "list.empty.breaching-soon": "No tickets breaching — nice. Tickets at risk show here.",
  "list.empty.my-open": "Nothing assigned to you. Take one from Unassigned (a).", "list.loading": "Loading…",
  "ticket.none": "Select a ticket, or press c to create one.",
  "ticket.reply": "Reply", "ticket.note": "Internal note", "ticket.send": "Send", "ticket.send_note": "Add note",
  "ticket.composer.reply": "Write a reply to the customer…", "ticket.composer.note": "Write a note only your team sees…",
  "ticket.customer_message": "Customer message",
  "ticket.internal": "internal", "ticket.customer": "customer", "ticket.agent": "agent", "ticket.system": "system",
  "ticket.macros": "Insert macro…", "ticket.similar": "Similar solved tickets", "ticket.similar.none": "No similar solved tickets yet.",
  "ticket.insert_fix": "Insert fix", "ticket.open": "Open", "ticket.fix": "Fix", "ticket.solved": "solved",
  "ticket.properties": "Properties", "ticket.history": "History", "ticket.links": "Links",
  "ticket.status": "Status", "ticket.priority": "Priority", "ticket.type": "Type", "ticket.assignee": "Assignee",
  "ticket.team": "Team", "ticket.tags": "Tags", "ticket.take": "Take it", "ticket.reason": "Reason",
  "ticket.merge_into": "Merge into #", "ticket.link_to": "Link to #", "ticket.merge": "Merge", "ticket.link": "Link",
  "ticket.closed_readonly": "This ticket is closed and read-only.", "ticket.mark_fix": "Mark as fix",
  "ticket.first_response": "First response", "ticket.resolution": "Resolution",
  "new.title": "New ticket", "new.subject": "Subject", "new.body": "Customer's message", "new.requester": "Requester email",
  "new.requester_name": "Requester name", "new.create": "Create ticket", "new.cancel": "Cancel",
  "search.placeholder": "Search tickets — words, \"phrases\", -exclude, status:open…", "search.none": "No matching tickets.",
  "search.hint": "Type to search every ticket.", "search.matches": "matches",
  "first.title": "Welcome to Casebook", "first.demo": "Open the demo workspace", "first.empty": "Start empty",
  "first.name": "Your name", "first.email": "Your email", "first.demo_hint": "3,000 realistic tickets in English, Korean and Polish.",
  "first.creating": "Creating the workspace…",
  "settings.title": "Settings", "settings.sla": "SLA policies", "settings.first_response": "First response (min)",
  "settings.resolution": "Resolution (min)", "settings.at_risk": "At risk at (%)", "settings.business_hours": "Business hours",
  "settings.around_clock": "Around the clock", "settings.weekdays": "Weekdays", "settings.time_zone": "Time zone",
  "settings.save": "Save", "settings.saved": "Saved.", "settings.agents": "Agents", "settings.teams": "Teams",
  "settings.types": "Ticket types", "settings.macros": "Macros", "settings.add": "Add", "settings.remove": "Remove",
  "settings.language": "Language",
  "shortcuts.title": "Keyboard shortcuts",
  "sla.ok": "left", "sla.at_risk": "at risk", "sla.breached": "overdue", "sla.paused": "paused", "sla.met": "met",
} as const;

export type Key = keyof typeof en;

const ko: Partial<Record<Key, string>> = {
  "app.search": "검색",
  "views.my-open": "내 티켓", "views.unassigned": "미배정", "views.breaching-soon": "SLA 임박",
  "views.pending": "대기 중", "views.recently-solved": "최근 해결", "views.all": "전체",
  "nav.settings": "설정", "nav.new": "새 티켓", "nav.shortcuts": "단축키", "signed_in_as": "로그인",
  "list.empty": "티켓이 없습니다.", "list.empty.breaching-soon": "SLA 임박 티켓이 없습니다. 위험한 티켓이 여기에 표시됩니다.",
  "list.empty.my-open": "배정된 티켓이 없습니다. 미배정에서 가져오세요 (a).", "list.loading": "불러오는 중…",
  "ticket.none": "티켓을 선택하거나 c를 눌러 새로 만드세요.",
  "ticket.reply": "답변", "ticket.note": "내부 메모", "ticket.send": "보내기", "ticket.send_note": "메모 추가",
  "ticket.composer.reply": "고객에게 답변 작성…", "ticket.composer.note": "팀만 볼 수 있는 메모 작성…",
  "ticket.customer_message": "고객 메시지",
  "ticket.internal": "내부", "ticket.customer": "고객", "ticket.agent": "상담원", "ticket.system": "시스템",
  "ticket.macros": "매크로 삽입…", "ticket.similar": "유사한 해결 티켓", "ticket.similar.none": "유사한 해결 티켓이 아직 없습니다.",
  "ticket.insert_fix": "해결책 삽입", "ticket.open": "열기", "ticket.fix": "해결책", "ticket.solved": "해결",
  "ticket.properties": "속성", "ticket.history": "처리 이력", "ticket.links": "연결",
  "ticket.status": "상태", "ticket.priority": "우선순위", "ticket.type": "유형", "ticket.assignee": "담당자",
  "ticket.team": "팀", "ticket.tags": "태그", "ticket.take": "가져오기", "ticket.reason": "사유",
  "ticket.merge_into": "병합 대상 #", "ticket.link_to": "연결 대상 #", "ticket.merge": "병합", "ticket.link": "연결",
  "ticket.closed_readonly": "종료된 티켓은 읽기 전용입니다.", "ticket.mark_fix": "해결책으로 표시",
  "ticket.first_response": "첫 응답", "ticket.resolution": "해결",
  "new.title": "새 티켓", "new.subject": "제목", "new.body": "고객 메시지", "new.requester": "요청자 이메일",
  "new.requester_name": "요청자 이름", "new.create": "티켓 만들기", "new.cancel": "취소",
  "search.placeholder": "티켓 검색 — 단어, \"구문\", -제외, status:open…", "search.none": "일치하는 티켓이 없습니다.",
  "search.hint": "입력하면 모든 티켓을 검색합니다.", "search.matches": "건",
  "first.title": "Casebook에 오신 것을 환영합니다", "first.demo": "데모 워크스페이스 열기", "first.empty": "빈 워크스페이스로 시작",
  "first.name": "이름", "first.email": "이메일", "first.demo_hint": "영어, 한국어, 폴란드어로 된 티켓 3,000건.",
  "first.creating": "워크스페이스를 만드는 중…",
  "settings.title": "설정", "settings.sla": "SLA 정책", "settings.save": "저장", "settings.saved": "저장되었습니다.",
  "settings.agents": "상담원", "settings.teams": "팀", "settings.types": "티켓 유형", "settings.macros": "매크로",
  "settings.add": "추가", "settings.remove": "삭제", "settings.language": "언어",
  "shortcuts.title": "단축키",
  "sla.ok": "남음", "sla.at_risk": "위험", "sla.breached": "초과", "sla.paused": "일시 중지", "sla.met": "충족",
};

export type Lang = "en" | "ko";

class I18n {
  lang = $state<Lang>((typeof navigator !== "undefined" && navigator.language?.startsWith("ko")) ? "ko" : "en");
  t = (key: Key): string => (this.lang === "ko" ? ko[key] : undefined) ?? en[key];
}

export const i18n = new I18n();
export const t = (key: Key) => i18n.t(key);
