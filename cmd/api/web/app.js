// Tshop customer center: finds reservations, shows their history, stock
// per product and load per store, and follows the read model's changes
// live. Plain JavaScript with no dependency; it reads the api's REST routes
// and its change stream (GET /events) and nothing else. Every value from
// the api reaches the page through textContent or an SVG attribute, never
// as markup.
'use strict';

(() => {
  const STREAM = { reservations: 'TSHOP_RESERVATIONS', products: 'TSHOP_PRODUCTS', stores: 'TSHOP_STORES' };
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const FEED_MAX = 30;          // rows kept in the live feed
  const FETCH_PER_CHANGE = 12;  // reservations read again per round of changes
  const SVGNS = 'http://www.w3.org/2000/svg';
  const TOKEN_KEY = 'tshop.token';
  const LANG_KEY = 'tshop.lang';

  // Statuses as the contract names them.
  const STATUS = {
    PLACED: { ko: '예약신청', en: 'Placed' },
    ACCEPTED: { ko: '예약접수완료', en: 'Accepted' },
    CANCELLING: { ko: '예약취소', en: 'Cancelling' },
    CANCELLED: { ko: '예약취소완료', en: 'Cancelled' },
    FULFILLED: { ko: '개통완료', en: 'Fulfilled' },
  };

  const EVENTS = {
    ReservationPlaced: { ko: '예약신청', en: 'Reservation placed' },
    ReservationAccepted: { ko: '예약접수완료 · 대리점 배정', en: 'Accepted by a store' },
    ReservationRejected: { ko: '대리점 거절', en: 'Rejected by the store' },
    CancelRequested: { ko: '예약취소 요청', en: 'Cancel requested' },
    StoreReleased: { ko: '대리점 배정 해제', en: 'Store released' },
    StockRestored: { ko: '재고 원복', en: 'Unit back in stock' },
    ReservationFulfilled: { ko: '개통완료', en: 'Fulfilled' },
  };

  const TEXT = {
    ko: {
      title: '고객센터',
      live: '실시간', connecting: '연결 중…', offline: '연결 끊김, 다시 연결 중…', forbidden: '관리자만 실시간 변경을 볼 수 있습니다', auth: '토큰 필요',
      signOut: '토큰 지우기',
      authTitle: '관리자 토큰이 필요합니다',
      authHint: '이 API는 인증을 사용합니다. 관리자(admin) Bearer 토큰을 넣으세요. 토큰은 이 탭의 세션 저장소에만 보관되고 주소에는 들어가지 않습니다.',
      tokenLabel: 'Bearer 토큰 (JWT, admin)', connect: '연결', tokenRefused: '토큰이 거절되었습니다: ',
      searchTitle: '예약 찾기', searchPlaceholder: '예약 ID 또는 고객 ID (예: c-1001)', search: '찾기',
      notFound: '찾을 수 없습니다.', invalid: '올바른 예약 ID(UUID)나 고객 ID가 아닙니다.', none: '예약이 없습니다.',
      found: (n) => `예약 ${n}건`,
      colCreated: '신청 시각', colId: '예약 ID', colProduct: '상품', colStore: '대리점', colStatus: '상태', colCustomer: '고객',
      detailTitle: '예약 상세', detailEmpty: '예약을 찾거나 목록에서 고르세요.',
      customer: '고객', product: '상품', store: '대리점', distance: '거리', location: '고객 위치', created: '신청', updated: '최종 변경',
      waiting: '대리점 배정 대기 중', released: '배정 해제됨', historyTitle: '처리 이력', noHistory: '이력이 없습니다.',
      feedTitle: '실시간 변경', feedEmpty: '변경이 생기면 여기에 바로 나타납니다.',
      stockTitle: '상품별 재고', legendStock: '예약 가능 재고', legendReserved: '예약된 수량', noProducts: '상품이 없습니다.',
      stockLine: (p) => `재고 ${p.stock} · 예약 ${p.reserved}`,
      storesTitle: '대리점 부하', noStores: '대리점이 없습니다.',
      storesSummary: (s) => `대리점 ${s.count}곳 · 열린 예약 ${s.load} / 수용 ${s.capacity} (${s.pct}%)` + (s.paused ? ` · 접수 중지 ${s.paused}곳` : ''),
      topLoad: '부하가 큰 대리점',
      legendLow: '여유', legendMid: '절반', legendHigh: '가득', legendPaused: '접수 중지', legendCustomer: '선택한 예약의 고객',
      storeOpen: (s) => `${s.name} · 열린 예약 ${s.load} / ${s.capacity}` + (s.paused ? ' · 접수 중지' : ''),
      storeEmpty: '열린 예약이 없습니다.',
      passedOver: { full: '가득 참', paused: '접수 중지', rejected: '거절함', '': '후보' },
      nearer: '건너뛴 가까운 대리점', reason: '사유', method: '수령 방법',
      methods: { DELIVERY: '배송', STORE_VISIT: '매장 방문' },
      error: '요청 실패: ',
    },
    en: {
      title: 'Customer center',
      live: 'Live', connecting: 'Connecting…', offline: 'Disconnected, reconnecting…', forbidden: 'Only an admin may follow changes live', auth: 'Token needed',
      signOut: 'Forget token',
      authTitle: 'An admin token is needed',
      authHint: 'This API requires authentication. Paste an admin bearer token. It is kept in this tab\'s session storage only, never in an address.',
      tokenLabel: 'Bearer token (JWT, admin)', connect: 'Connect', tokenRefused: 'The token was refused: ',
      searchTitle: 'Find a reservation', searchPlaceholder: 'Reservation id or customer id (e.g. c-1001)', search: 'Find',
      notFound: 'Not found.', invalid: 'Not a reservation id (UUID) or a customer id.', none: 'No reservations.',
      found: (n) => `${n} reservation${n === 1 ? '' : 's'}`,
      colCreated: 'Placed at', colId: 'Reservation', colProduct: 'Product', colStore: 'Store', colStatus: 'Status', colCustomer: 'Customer',
      detailTitle: 'Reservation', detailEmpty: 'Find a reservation or pick one from a list.',
      customer: 'Customer', product: 'Product', store: 'Store', distance: 'Distance', location: 'Customer location', created: 'Placed', updated: 'Last change',
      waiting: 'waiting for a store', released: 'released', historyTitle: 'History', noHistory: 'No history.',
      feedTitle: 'Live changes', feedEmpty: 'Changes appear here as they happen.',
      stockTitle: 'Stock per product', legendStock: 'Can be reserved', legendReserved: 'Reserved', noProducts: 'No products.',
      stockLine: (p) => `stock ${p.stock} · reserved ${p.reserved}`,
      storesTitle: 'Load per store', noStores: 'No stores.',
      storesSummary: (s) => `${s.count} stores · ${s.load} open reservations of ${s.capacity} places (${s.pct}%)` + (s.paused ? ` · ${s.paused} paused` : ''),
      topLoad: 'Busiest stores',
      legendLow: 'room', legendMid: 'half', legendHigh: 'full', legendPaused: 'paused', legendCustomer: 'customer of the selected reservation',
      storeOpen: (s) => `${s.name} · ${s.load} of ${s.capacity} open` + (s.paused ? ' · paused' : ''),
      storeEmpty: 'No open reservations.',
      passedOver: { full: 'full', paused: 'paused', rejected: 'rejected it', '': 'runner-up' },
      nearer: 'Nearer stores passed over', reason: 'Reason', method: 'Method',
      methods: { DELIVERY: 'delivery', STORE_VISIT: 'store visit' },
      error: 'Request failed: ',
    },
  };

  const $ = (sel) => document.querySelector(sel);

  const state = {
    lang: pickLang(),
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    products: [],
    stores: [],
    storeById: new Map(),
    productById: new Map(),
    feed: new Map(),          // id → {r, at}, newest change first
    selected: null,           // the reservation in the detail panel
    history: [],
    search: null,             // {customer, results} or {id}
    storeSelected: null,      // store id whose reservations are listed
    storeReservations: [],
    pos: {},                  // stream → highest sequence a notice named
    live: 'connecting',
  };

  function pickLang() {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'ko' || saved === 'en') return saved;
    return (navigator.language || 'ko').toLowerCase().startsWith('ko') ? 'ko' : 'en';
  }

  function t(key, arg) {
    const v = TEXT[state.lang][key];
    return typeof v === 'function' ? v(arg) : v;
  }

  // ---- the api --------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, detail) {
      super(detail || code || String(status));
      this.status = status;
      this.code = code;
    }
  }

  function headers(extra) {
    const h = Object.assign({ Accept: 'application/json' }, extra);
    if (state.token) h.Authorization = 'Bearer ' + state.token;
    return h;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // get reads one route; a 503 (a read model still catching up with the
  // position asked for) is retried a few times.
  async function get(path, params) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) if (v) url.searchParams.set(k, v);
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(url, { headers: headers(), cache: 'no-store' });
      if (res.ok) return res.json();
      let p = {};
      try { p = await res.json(); } catch (_) { /* not a problem document */ }
      if (res.status === 401) needToken(p.detail);
      if (res.status === 503 && attempt < 3) {
        await sleep(300 * (attempt + 1));
        continue;
      }
      throw new ApiError(res.status, p.code, p.detail || p.title);
    }
  }

  // position names what a notice said the read model has reached, for the
  // streams given: a read that passes it shows at least that state.
  function position(...streams) {
    return streams.filter((s) => state.pos[s]).map((s) => `${s}:${state.pos[s]}`).join(',');
  }

  // ---- change stream --------------------------------------------------

  let streamAbort = null;

  // listen reads GET /events with fetch (EventSource cannot send the
  // Authorization header) and reconnects, with backoff, until aborted.
  async function listen() {
    if (streamAbort) streamAbort.abort();
    const ctl = new AbortController();
    streamAbort = ctl;
    let backoff = 1000;
    while (!ctl.signal.aborted) {
      setLive('connecting');
      try {
        const res = await fetch('/events', { headers: headers({ Accept: 'text/event-stream' }), cache: 'no-store', signal: ctl.signal });
        if (res.status === 401) { needToken(); return; }
        if (res.status === 403) { setLive('forbidden'); return; }
        if (!res.ok || !res.body) throw new Error('events: ' + res.status);
        backoff = 1000;
        await readStream(res.body);
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      if (ctl.signal.aborted) return;
      setLive('offline');
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 15000);
    }
  }

  async function readStream(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue;
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'event') event = val;
          else if (field === 'data') data.push(val);
        }
        dispatch(event, data.join('\n'));
      }
    }
  }

  function dispatch(event, data) {
    switch (event) {
      case 'ready':
      case 'resync': {
        // Read everything again, at least where the notices had got to.
        try {
          const positions = JSON.parse(data).positions || {};
          for (const [stream, seq] of Object.entries(positions)) state.pos[stream] = Math.max(state.pos[stream] || 0, seq);
        } catch (_) { /* no positions */ }
        if (event === 'ready') setLive('live');
        refreshAll();
        break;
      }
      case 'change': {
        let c;
        try { c = JSON.parse(data); } catch (_) { return; }
        onChange(c);
        break;
      }
    }
  }

  function onChange(c) {
    if (!c || !c.stream || !c.seq) return;
    state.pos[c.stream] = Math.max(state.pos[c.stream] || 0, c.seq);
    switch (c.stream) {
      case STREAM.reservations:
        for (const id of c.reservations || []) pendingReservations.add(id);
        reservationsTask.run();
        if (c.truncated) { searchTask.run(); storeListTask.run(); }
        break;
      case STREAM.products:
        productsTask.run();
        break;
      case STREAM.stores:
        storesTask.run();
        if (state.storeSelected && (c.truncated || (c.stores || []).includes(state.storeSelected))) storeListTask.run();
        break;
    }
  }

  // task runs fn at most once at a time; asked again while it runs, it
  // runs once more afterwards, so bursts of notices cost one read each.
  function task(fn, delay) {
    let running = false, again = false;
    const self = {
      async run() {
        if (running) { again = true; return; }
        running = true;
        try {
          do {
            again = false;
            if (delay) await sleep(delay);
            try { await fn(); } catch (e) { report(e); }
          } while (again);
        } finally {
          running = false;
        }
      },
    };
    return self;
  }

  const pendingReservations = new Set();

  const reservationsTask = task(async () => {
    const ids = [...pendingReservations].slice(-FETCH_PER_CHANGE);
    pendingReservations.clear();
    const pos = position(STREAM.reservations);
    await Promise.all(ids.map(async (id) => {
      try {
        showReservation(await get('/reservations/' + encodeURIComponent(id), { position: pos }));
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }));
  }, 150); // at most FETCH_PER_CHANGE reads per 150 ms, however busy the shop

  const productsTask = task(async () => {
    state.products = await get('/products', { position: position(STREAM.products) });
    state.productById = new Map(state.products.map((p) => [p.id, p]));
    renderStock();
  }, 150);

  const storesTask = task(async () => {
    state.stores = await get('/stores', { position: position(STREAM.stores) });
    state.storeById = new Map(state.stores.map((s) => [s.id, s]));
    renderStores();
    renderFeed();
    renderDetail();
  }, 250);

  const storeListTask = task(async () => {
    const id = state.storeSelected;
    if (!id) return;
    const list = await get('/stores/' + encodeURIComponent(id) + '/reservations', { position: position(STREAM.stores, STREAM.reservations) });
    if (id === state.storeSelected) {
      state.storeReservations = list;
      renderStoreDetail();
    }
  }, 100);

  const searchTask = task(async () => {
    const s = state.search;
    if (!s || !s.customer) return;
    const list = await get('/reservations', { customerId: s.customer, limit: '100', position: position(STREAM.reservations) });
    if (state.search === s) {
      s.results = list;
      renderResults();
    }
  }, 0);

  // showReservation takes a reservation as read after a change: the feed,
  // the detail panel and the search results follow it.
  function showReservation(r) {
    const prev = state.feed.get(r.id);
    if (!prev || prev.r.updatedAt !== r.updatedAt || prev.r.status !== r.status) {
      state.feed.delete(r.id);
      state.feed = new Map([[r.id, { r, at: new Date() }], ...state.feed]);
      while (state.feed.size > FEED_MAX) state.feed.delete([...state.feed.keys()].pop());
      renderFeed(r.id);
    }
    if (state.selected && state.selected.id === r.id) select(r, { keepSearch: true });
    const s = state.search;
    if (s && s.customer === r.customerId && s.results) {
      const i = s.results.findIndex((x) => x.id === r.id);
      if (i >= 0) s.results[i] = r;
      else s.results.unshift(r);
      renderResults();
    }
    if (state.storeSelected && (r.storeId === state.storeSelected || state.storeReservations.some((x) => x.id === r.id))) storeListTask.run();
  }

  function refreshAll() {
    productsTask.run();
    storesTask.run();
    searchTask.run();
    storeListTask.run();
    if (state.selected) loadReservation(state.selected.id).catch(report);
    for (const id of state.feed.keys()) pendingReservations.add(id);
    reservationsTask.run();
  }

  // ---- searching and selecting ---------------------------------------

  async function search(q) {
    q = q.trim();
    const msg = $('#search-msg');
    msg.textContent = '';
    if (!q) return;
    if (UUID.test(q)) {
      state.search = { id: q.toLowerCase() };
      renderResults();
      try {
        await loadReservation(q.toLowerCase());
        setHash('r', q.toLowerCase());
      } catch (e) {
        msg.textContent = searchError(e);
      }
      return;
    }
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(q)) {
      msg.textContent = t('invalid');
      return;
    }
    state.search = { customer: q, results: null };
    setHash('c', q);
    try {
      await searchTask.run();
      if (state.search.results && state.search.results.length === 1) select(state.search.results[0]);
    } catch (e) {
      msg.textContent = searchError(e);
    }
  }

  function searchError(e) {
    if (e instanceof ApiError && e.status === 404) return t('notFound');
    if (e instanceof ApiError && e.status === 400) return t('invalid');
    return t('error') + e.message;
  }

  async function loadReservation(id) {
    const pos = position(STREAM.reservations);
    const [r, history] = await Promise.all([
      get('/reservations/' + encodeURIComponent(id), { position: pos }),
      get('/reservations/' + encodeURIComponent(id) + '/history', { position: pos }),
    ]);
    state.history = history;
    select(r, { keepSearch: true, history: true });
  }

  function select(r, opts) {
    const o = opts || {};
    const changed = !state.selected || state.selected.id !== r.id || state.selected.updatedAt !== r.updatedAt || state.selected.status !== r.status;
    const other = !state.selected || state.selected.id !== r.id;
    state.selected = r;
    if (other && !o.history) state.history = [];
    renderDetail();
    renderResults();
    renderFeed();
    renderMap();
    if ((changed || other) && !o.history) {
      historyTask.run();
    }
  }

  const historyTask = task(async () => {
    const r = state.selected;
    if (!r) return;
    const h = await get('/reservations/' + encodeURIComponent(r.id) + '/history', { position: position(STREAM.reservations) });
    if (state.selected && state.selected.id === r.id) {
      state.history = h;
      renderDetail();
    }
  }, 0);

  function setHash(kind, value) {
    history.replaceState(null, '', '#' + kind + '=' + encodeURIComponent(value));
  }

  // ---- rendering ------------------------------------------------------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'onclick') e.addEventListener('click', v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'onclick') e.addEventListener('click', v);
      else e.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  function statusBadge(status) {
    const s = STATUS[status] || { ko: status, en: status };
    const b = el('span', { class: 'status', 'data-status': status }, s[state.lang]);
    if (state.lang !== 'ko') b.append(el('small', { lang: 'ko' }, s.ko));
    return b;
  }

  const fmtTime = (iso, withDate) => {
    if (!iso) return '';
    const d = new Date(iso);
    const o = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
    if (withDate) Object.assign(o, { year: 'numeric', month: '2-digit', day: '2-digit' });
    return new Intl.DateTimeFormat(state.lang === 'ko' ? 'ko-KR' : 'en-GB', o).format(d);
  };
  const fmtKm = (km) => (km === null || km === undefined ? '' : `${km.toFixed(km < 10 ? 2 : 1)} km`);
  const short = (id) => id.slice(0, 8);

  function storeName(id) {
    if (!id) return '';
    const s = state.storeById.get(id);
    return s && s.name ? `${s.name} (${id})` : id;
  }

  function productName(id) {
    const p = state.productById.get(id);
    return p && p.name ? p.name : id;
  }

  function setLive(s) {
    state.live = s;
    const live = $('#live');
    live.dataset.state = s;
    live.querySelector('.text').textContent = t(s);
  }

  function renderI18n() {
    document.documentElement.lang = state.lang;
    document.title = 'Tshop ' + t('title');
    for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    for (const e of document.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
    for (const b of document.querySelectorAll('.lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
    setLive(state.live);
  }

  function renderAll() {
    renderI18n();
    renderResults();
    renderDetail();
    renderFeed();
    renderStock();
    renderStores();
  }

  function renderResults() {
    const table = $('#results');
    const s = state.search;
    const list = s && s.customer ? s.results : null;
    table.hidden = !list || list.length === 0;
    const msg = $('#search-msg');
    if (list) msg.textContent = list.length ? `${s.customer} · ${t('found', list.length)}` : t('none');
    const body = table.tBodies[0];
    body.replaceChildren(...(list || []).map((r) => el('tr', {
      'data-id': r.id, class: state.selected && state.selected.id === r.id ? 'sel' : null, onclick: () => { select(r); setHash('r', r.id); },
    },
    el('td', {}, fmtTime(r.createdAt, true)),
    el('td', {}, el('code', { title: r.id }, short(r.id))),
    el('td', {}, productName(r.productId)),
    el('td', {}, r.storeId ? storeName(r.storeId) : '—'),
    el('td', {}, statusBadge(r.status)))));
  }

  function renderDetail() {
    const r = state.selected;
    $('#detail').hidden = !r;
    $('#detail-empty').hidden = !!r;
    if (!r) return;
    $('#d-status').replaceWith(Object.assign(statusBadge(r.status), { id: 'd-status' }));
    $('#d-id').textContent = r.id;
    $('#d-customer').textContent = r.customerId;
    $('#d-product').textContent = r.productId === productName(r.productId) ? r.productId : `${productName(r.productId)} (${r.productId})`;
    // A cancelled reservation holds no store: name the one that had it.
    const accepted = [...state.history].reverse().find((h) => h.type === 'ReservationAccepted');
    if (r.storeId) {
      $('#d-store').textContent = storeName(r.storeId);
      $('#d-distance').textContent = fmtKm(r.distanceKm);
    } else if (r.status === 'PLACED') {
      $('#d-store').textContent = t('waiting');
      $('#d-distance').textContent = '—';
    } else if (accepted && accepted.data) {
      $('#d-store').textContent = `${storeName(accepted.data.storeId)} · ${t('released')}`;
      $('#d-distance').textContent = fmtKm(accepted.data.distanceKm);
    } else {
      $('#d-store').textContent = '—';
      $('#d-distance').textContent = '—';
    }
    $('#d-location').textContent = r.location ? `${r.location.lat.toFixed(4)}, ${r.location.lon.toFixed(4)}` : '';
    $('#d-created').textContent = fmtTime(r.createdAt, true);
    $('#d-updated').textContent = fmtTime(r.updatedAt, true);
    renderTimeline();
  }

  function renderTimeline() {
    const ol = $('#timeline');
    if (!state.history.length) {
      ol.replaceChildren(el('li', {}, el('div', { class: 'more' }, t('noHistory'))));
      return;
    }
    ol.replaceChildren(...state.history.map((h) => {
      const name = EVENTS[h.type] ? EVENTS[h.type][state.lang] : h.type;
      return el('li', { 'data-type': h.type },
        el('div', { class: 'when' }, fmtTime(h.at, true)),
        el('div', { class: 'what' }, name),
        eventDetail(h.type, h.data || {}));
    }));
  }

  function eventDetail(type, d) {
    const parts = [];
    switch (type) {
      case 'ReservationPlaced':
        parts.push(`${t('product')}: ${productName(d.productId)}`, `${t('customer')}: ${d.customerId}`);
        if (d.location) parts.push(`${t('location')}: ${d.location.lat.toFixed(4)}, ${d.location.lon.toFixed(4)}`);
        break;
      case 'ReservationAccepted': {
        parts.push(`${t('store')}: ${storeName(d.storeId)}`, `${t('distance')}: ${fmtKm(d.distanceKm)}`);
        const passed = (d.considered || []).filter((c) => c.passedOver);
        if (passed.length) {
          const po = t('passedOver');
          parts.push(`${t('nearer')}: ` + passed.map((c) => `${storeName(c.storeId)} ${fmtKm(c.distanceKm)} (${po[c.passedOver] || c.passedOver})`).join(', '));
        }
        break;
      }
      case 'ReservationRejected':
        parts.push(`${t('store')}: ${storeName(d.storeId)}`);
        if (d.reason) parts.push(`${t('reason')}: ${d.reason}`);
        break;
      case 'StoreReleased':
        parts.push(`${t('store')}: ${storeName(d.storeId)}`);
        break;
      case 'ReservationFulfilled':
        parts.push(`${t('method')}: ${t('methods')[d.method] || d.method}`);
        break;
    }
    return parts.length ? el('div', { class: 'more' }, parts.join(' · ')) : null;
  }

  function renderFeed(flashId) {
    const ul = $('#feed');
    $('#feed-empty').hidden = state.feed.size > 0;
    ul.replaceChildren(...[...state.feed.values()].map(({ r, at }) => {
      const li = el('li', {
        'data-id': r.id,
        class: [state.selected && state.selected.id === r.id ? 'sel' : '', r.id === flashId ? 'flash' : ''].join(' ').trim() || null,
        onclick: () => { select(r); setHash('r', r.id); },
      },
      el('span', { class: 'when' }, fmtTime(at.toISOString())),
      el('code', { title: r.id }, short(r.id)),
      el('span', { class: 'who' }, `${r.customerId} · ${productName(r.productId)}` + (r.storeId ? ` · ${storeName(r.storeId)}` : '')),
      statusBadge(r.status));
      return li;
    }));
  }

  function renderStock() {
    const chart = $('#stock-chart');
    const list = [...state.products].sort((a, b) => a.id.localeCompare(b.id));
    if (!list.length) {
      chart.setAttribute('viewBox', '0 0 560 30');
      chart.replaceChildren(svg('text', { x: 0, y: 18, class: 'muted' }, t('noProducts')));
      return;
    }
    const W = 560, label = 170, right = 120, rowH = 26;
    const maxTotal = Math.max(1, ...list.map((p) => p.stock + p.reserved));
    const scale = (W - label - right) / maxTotal;
    chart.setAttribute('viewBox', `0 0 ${W} ${list.length * rowH + 4}`);
    chart.replaceChildren(...list.map((p, i) => {
      const y = i * rowH + 4;
      const wr = p.reserved * scale, ws = p.stock * scale;
      return svg('g', { 'data-product': p.id },
        svg('title', {}, `${p.name} (${p.id}) — ${t('stockLine', p)}`),
        svg('text', { x: 0, y: y + 14 }, clip(p.name || p.id, 26)),
        svg('rect', { x: label, y: y + 2, width: Math.max(wr, 0), height: 16, rx: 3, fill: '#5b3fe0' }),
        svg('rect', { x: label + wr, y: y + 2, width: Math.max(ws, 0), height: 16, rx: 3, fill: '#2e9d5b' }),
        svg('text', { x: label + wr + ws + 6, y: y + 14, class: 'muted' }, t('stockLine', p)));
    }));
  }

  function clip(s, n) {
    return s.length > n ? s.slice(0, n - 1) + '…' : s;
  }

  // loadColour goes from green (room) through yellow to red (full).
  function loadColour(s) {
    if (s.paused) return '#a0a6b0';
    const ratio = s.capacity > 0 ? Math.min(1, s.load / s.capacity) : 1;
    const hue = 130 - 130 * ratio;
    return `hsl(${hue.toFixed(0)}, ${ratio > 0.4 ? 80 : 60}%, ${ratio > 0.4 ? 48 : 42}%)`;
  }

  function renderStores() {
    const list = state.stores;
    const sum = { count: list.length, load: 0, capacity: 0, paused: 0 };
    for (const s of list) {
      sum.load += s.load;
      sum.capacity += s.capacity;
      if (s.paused) sum.paused++;
    }
    sum.pct = sum.capacity ? Math.round((100 * sum.load) / sum.capacity) : 0;
    $('#stores-summary').textContent = list.length ? t('storesSummary', sum) : t('noStores');
    renderMap();
    renderLoadChart();
    renderStoreDetail();
  }

  // renderMap draws every store at its latitude and longitude (an
  // equirectangular projection, scaled by the cosine of the middle
  // latitude), sized by capacity and coloured by load, with the selected
  // reservation's customer and store.
  function renderMap() {
    const map = $('#store-map');
    const stores = state.stores;
    const W = 420, H = 460, pad = 22;
    map.setAttribute('viewBox', `0 0 ${W} ${H}`);
    if (!stores.length) {
      map.replaceChildren();
      return;
    }
    const r = state.selected;
    const pts = stores.map((s) => [s.lat, s.lon]);
    if (r && r.location) pts.push([r.location.lat, r.location.lon]);
    let minLat = Math.min(...pts.map((p) => p[0])), maxLat = Math.max(...pts.map((p) => p[0]));
    let minLon = Math.min(...pts.map((p) => p[1])), maxLon = Math.max(...pts.map((p) => p[1]));
    if (maxLat - minLat < 0.05) { minLat -= 0.05; maxLat += 0.05; }
    if (maxLon - minLon < 0.05) { minLon -= 0.05; maxLon += 0.05; }
    const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
    const sx = (W - 2 * pad) / ((maxLon - minLon) * k), sy = (H - 2 * pad) / (maxLat - minLat);
    const sc = Math.min(sx, sy);
    const ox = (W - (maxLon - minLon) * k * sc) / 2, oy = (H - (maxLat - minLat) * sc) / 2;
    const x = (lon) => ox + (lon - minLon) * k * sc;
    const y = (lat) => H - oy - (lat - minLat) * sc;

    const nodes = [];
    // A graticule every whole or half degree, labelled at the edges.
    const step = maxLat - minLat > 3 || maxLon - minLon > 3 ? 1 : maxLat - minLat > 0.6 ? 0.5 : 0.1;
    for (let lat = Math.ceil(minLat / step) * step; lat <= maxLat; lat += step) {
      nodes.push(svg('line', { class: 'grid', x1: 0, x2: W, y1: y(lat), y2: y(lat) }),
        svg('text', { x: 3, y: y(lat) - 3, class: 'muted' }, `${lat.toFixed(step < 1 ? 1 : 0)}°N`));
    }
    for (let lon = Math.ceil(minLon / step) * step; lon <= maxLon; lon += step) {
      nodes.push(svg('line', { class: 'grid', y1: 0, y2: H, x1: x(lon), x2: x(lon) }),
        svg('text', { x: x(lon) + 3, y: H - 4, class: 'muted' }, `${lon.toFixed(step < 1 ? 1 : 0)}°E`));
    }
    const maxCap = Math.max(1, ...stores.map((s) => s.capacity));
    const radius = (s) => 2.5 + 6.5 * Math.sqrt(s.capacity / maxCap);
    // Emptier stores first, so the loaded ones are drawn on top.
    const ordered = [...stores].sort((a, b) => a.load / (a.capacity || 1) - b.load / (b.capacity || 1));
    for (const s of ordered) {
      nodes.push(svg('circle', {
        class: 'store' + (s.paused ? ' paused' : ''), 'data-store': s.id, cx: x(s.lon).toFixed(1), cy: y(s.lat).toFixed(1), r: radius(s).toFixed(1),
        fill: loadColour(s), 'fill-opacity': 0.85, onclick: () => selectStore(s.id),
      }, svg('title', {}, t('storeOpen', s) + ` (${s.id})`)));
    }
    // Name the busiest stores beside their dots, where the names do not
    // run into each other.
    const boxes = [];
    const busiest = [...stores].filter((s) => s.load > 0).sort((a, b) => b.load - a.load || a.id.localeCompare(b.id)).slice(0, 6);
    for (const s of busiest) {
      const text = `${clip(s.name || s.id, 18)} ${s.load}/${s.capacity}`;
      const width = text.length * 5.5, ly = y(s.lat) + 4;
      // Right of the dot, or left of it near the right edge.
      const right = x(s.lon) + radius(s) + 3 + width <= W;
      const lx = right ? x(s.lon) + radius(s) + 3 : x(s.lon) - radius(s) - 3;
      const box = right ? { x1: lx, x2: lx + width } : { x1: lx - width, x2: lx };
      Object.assign(box, { y1: ly - 11, y2: ly + 3 });
      if (box.x1 < 0 || boxes.some((b) => box.x1 < b.x2 && b.x1 < box.x2 && box.y1 < b.y2 && b.y1 < box.y2)) continue;
      boxes.push(box);
      nodes.push(svg('text', { class: 'label', x: lx, y: ly, 'text-anchor': right ? 'start' : 'end' }, text));
    }
    const held = r && r.storeId ? state.storeById.get(r.storeId) : null;
    if (r && r.location) {
      const cx = x(r.location.lon), cy = y(r.location.lat);
      if (held) nodes.push(svg('line', { class: 'link', x1: cx, y1: cy, x2: x(held.lon), y2: y(held.lat) }));
      nodes.push(svg('rect', { class: 'customer', x: cx - 4, y: cy - 4, width: 8, height: 8, transform: `rotate(45 ${cx} ${cy})` },
        svg('title', {}, `${t('customer')} ${r.customerId}`)));
    }
    if (held) nodes.push(svg('circle', { class: 'ring', cx: x(held.lon), cy: y(held.lat), r: radius(held) + 4 }));
    const chosen = state.storeSelected ? state.storeById.get(state.storeSelected) : null;
    if (chosen && chosen !== held) nodes.push(svg('circle', { class: 'ring', cx: x(chosen.lon), cy: y(chosen.lat), r: radius(chosen) + 4 }));
    map.replaceChildren(...nodes);
  }

  // renderLoadChart shows the busiest stores: open reservations against
  // capacity.
  function renderLoadChart() {
    const chart = $('#load-chart');
    const top = [...state.stores]
      .sort((a, b) => b.load - a.load || b.load / (b.capacity || 1) - a.load / (a.capacity || 1) || a.id.localeCompare(b.id))
      .slice(0, 14);
    const W = 420, label = 150, right = 60, rowH = 24, head = 20;
    if (!top.length) {
      chart.setAttribute('viewBox', `0 0 ${W} 10`);
      chart.replaceChildren();
      return;
    }
    const maxCap = Math.max(1, ...top.map((s) => s.capacity));
    const scale = (W - label - right) / maxCap;
    chart.setAttribute('viewBox', `0 0 ${W} ${head + top.length * rowH}`);
    chart.replaceChildren(svg('text', { x: 0, y: 12, class: 'muted' }, t('topLoad')), ...top.map((s, i) => {
      const y = head + i * rowH;
      return svg('g', { 'data-store': s.id, onclick: () => selectStore(s.id) },
        svg('title', {}, t('storeOpen', s) + ` (${s.id})`),
        svg('text', { x: 0, y: y + 13 }, clip(s.name || s.id, 22)),
        svg('rect', { x: label, y: y + 2, width: s.capacity * scale, height: 14, rx: 3, fill: '#e6e9ef' }),
        svg('rect', { x: label, y: y + 2, width: Math.min(s.load, s.capacity) * scale, height: 14, rx: 3, fill: loadColour(s) }),
        svg('text', { x: label + s.capacity * scale + 6, y: y + 13, class: 'muted' }, `${s.load}/${s.capacity}`));
    }));
  }

  function selectStore(id) {
    state.storeSelected = state.storeSelected === id ? null : id;
    state.storeReservations = [];
    renderStoreDetail();
    renderMap();
    storeListTask.run();
  }

  function renderStoreDetail() {
    const box = $('#store-detail');
    const s = state.storeSelected ? state.storeById.get(state.storeSelected) : null;
    box.hidden = !s;
    if (!s) return;
    $('#sd-title').textContent = t('storeOpen', s);
    const body = $('#sd-list').tBodies[0];
    if (!state.storeReservations.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: 3, class: 'msg' }, t('storeEmpty'))));
      return;
    }
    body.replaceChildren(...state.storeReservations.map((r) => el('tr', { 'data-id': r.id, onclick: () => { select(r); setHash('r', r.id); } },
      el('td', {}, el('code', { title: r.id }, short(r.id))),
      el('td', {}, r.customerId),
      el('td', {}, statusBadge(r.status)))));
  }

  let errorTimer = null;
  function report(e) {
    if (e instanceof ApiError && e.status === 401) return; // the token form says it
    const box = $('#error');
    box.textContent = t('error') + (e && e.message ? e.message : String(e));
    box.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  // ---- authentication -------------------------------------------------

  // needToken shows the token form; a token the api refused is forgotten.
  function needToken(detail) {
    if (streamAbort) streamAbort.abort();
    const refused = !!state.token;
    state.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    setLive('auth');
    $('#auth').hidden = false;
    $('#app').hidden = true;
    $('#signout').hidden = true;
    $('#auth-error').textContent = refused ? t('tokenRefused') + (detail || '') : '';
    $('#token').focus();
  }

  async function useToken(token) {
    state.token = token;
    try {
      await get('/products');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      report(e);
    }
    if (state.token !== token) return; // refused meanwhile
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    $('#auth').hidden = true;
    $('#app').hidden = false;
    $('#signout').hidden = !token;
    start();
  }

  // ---- start ----------------------------------------------------------

  function start() {
    refreshAll();
    listen();
    const m = /^#([rc])=(.+)$/.exec(location.hash);
    if (m) {
      const v = decodeURIComponent(m[2]);
      $('#q').value = v;
      search(v);
    }
  }

  function wire() {
    for (const b of document.querySelectorAll('.lang button')) {
      b.addEventListener('click', () => {
        state.lang = b.dataset.lang;
        localStorage.setItem(LANG_KEY, state.lang);
        renderAll();
      });
    }
    $('#search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      search($('#q').value);
    });
    $('#auth-form').addEventListener('submit', (e) => {
      e.preventDefault();
      useToken($('#token').value.trim());
    });
    $('#signout').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      state.token = '';
      $('#token').value = '';
      needToken();
    });
  }

  wire();
  renderAll();
  useToken(state.token);
})();
