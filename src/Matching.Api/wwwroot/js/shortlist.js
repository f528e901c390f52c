// The shortlist as staff read and defend it: each therapist's position, the three alliance
// pillars against the neutral mark, the reasons in plain words, fee, format and languages; the
// model that ranked; and how many therapists each must-have excluded.
import { word, pillars, fitWords } from './words.js';
import { el } from './dom.js';

const languageNames = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(['en'], { type: 'language' }) : null;
function language(code) {
  try { return languageNames?.of(code) ?? code; } catch { return code; }
}

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

function pair(dl, term, ...definition) {
  dl.append(el('dt', { text: term }), el('dd', {}, ...definition));
}

function pillarBar(name, about, value) {
  const v = Math.max(0, Math.min(1, Number(value)));
  const fill = el('span', { class: 'fill' });
  fill.style.width = `${(v * 100).toFixed(1)}%`;
  const shown = v.toFixed(2);
  return el('div', { class: 'pillar' },
    el('span', { class: 'pillar-name', text: name }),
    el('span', {
      class: 'bar', role: 'meter', 'aria-label': `${name} fit, ${about}`,
      'aria-valuemin': 0, 'aria-valuemax': 1, 'aria-valuenow': shown, 'aria-valuetext': `${shown}, ${fitWords(v)}`,
    }, fill, el('span', { class: 'neutral-mark', title: 'neutral (0.5)' })),
    el('span', { class: 'pillar-value', text: `${shown} ${fitWords(v)}` }));
}

function sessions(t) {
  const parts = [];
  if (t.offersVideo) parts.push('Video');
  if (t.inPersonCities?.length) parts.push(`In person in ${t.inPersonCities.join(', ')}`);
  return parts.join(' · ') || 'Not listed';
}

function therapistCard(t, { chosenId, canChoose, onChoose }) {
  const name = t.displayName ?? t.therapistId;
  const headingId = `therapist-${t.position}-name`;
  const card = el('li', { class: 'card', 'data-therapist-id': t.therapistId, 'aria-labelledby': headingId });
  card.append(el('h3', { id: headingId },
    el('span', { class: 'position', text: `${t.position}.` }), ' ', name, ' ',
    el('span', { class: 'therapist-id', text: t.therapistId })));
  if (chosenId === t.therapistId) card.append(el('p', { class: 'chosen', text: 'The client chose this therapist' }));

  const bars = el('div', { class: 'pillars', role: 'group', 'aria-label': 'Fit by pillar of the working alliance (0 to 1, neutral 0.5)' });
  for (const p of pillars) bars.append(pillarBar(p.name, p.about, t.fit[p.key]));
  card.append(bars);

  if (t.reasons?.length) {
    card.append(el('h4', { text: 'Why' }), el('ul', { class: 'reasons' }, ...t.reasons.map((r) => el('li', { text: r }))));
  } else {
    card.append(el('p', { class: 'reasons-none', text: 'No particular reasons: every stated preference is neutral for this therapist.' }));
  }

  const facts = el('dl', { class: 'facts' });
  pair(facts, 'Fee', t.fee == null ? 'Not listed' : `${t.fee} per session`);
  pair(facts, 'Sessions', sessions(t));
  pair(facts, 'Languages', (t.languages ?? []).map(language).join(', ') || 'Not listed');
  if (t.modalities?.length) pair(facts, 'Approaches', t.modalities.map((m) => word('modalities', m)).join(', '));
  card.append(facts);

  if (canChoose) {
    const button = el('button', { type: 'button', class: 'choose no-print', 'aria-describedby': headingId, text: 'Record as the client\'s choice' });
    button.addEventListener('click', () => onChoose(t, button));
    card.append(button);
  }
  return card;
}

function exclusionChart(shortlist, constraintOrder) {
  const counts = shortlist.excludedBy ?? {};
  const considered = shortlist.considered || 0;
  const keys = [...constraintOrder, ...Object.keys(counts).filter((k) => !constraintOrder.includes(k))];
  const most = keys.reduce((best, k) => ((counts[k] ?? 0) > (counts[best] ?? 0) ? k : best), keys[0]);
  const rows = el('ul', { class: 'chart' });
  for (const k of keys) {
    const n = counts[k] ?? 0;
    const bar = el('span', { class: 'chart-bar' });
    bar.style.width = considered ? `${((n / considered) * 100).toFixed(1)}%` : '0%';
    rows.append(el('li', { class: n > 0 && k === most ? 'most' : null, 'data-constraint': k },
      el('span', { class: 'chart-label', text: word('constraints', k) }),
      el('span', { class: 'chart-track', 'aria-hidden': 'true' }, bar),
      el('span', { class: 'chart-count', text: String(n) })));
  }
  const figure = el('figure', { class: 'exclusions', id: 'exclusions' },
    el('figcaption', {},
      el('strong', { text: 'Why the list is this long: ' }),
      `${considered} therapists considered, ${shortlist.eligible} met every must-have, ${shortlist.therapists.length} shown.`),
    rows);
  if ((counts[most] ?? 0) > 0) {
    figure.append(el('p', { class: 'hint', text: `Most were excluded by "${word('constraints', most)}" (${counts[most]}). ` +
      'Each therapist is counted once, at the first must-have it misses, in the order above; relaxing the longest bar widens the list most.' }));
  }
  return figure;
}

function requestSummary(request) {
  const c = request.constraints ?? {};
  const dl = el('dl', { class: 'facts request' });
  pair(dl, 'Goals', request.goals.map((g, i) => `${i + 1}. ${word('goals', g)}`).join('  '));
  if (request.modalities?.length) {
    pair(dl, 'Approaches', request.modalities.map((m) => `${word('modalities', m.modality)} (${word('preferenceStrengths', m.strength).toLowerCase()})`).join(', '));
  }
  pair(dl, 'Languages', request.languages.map(language).join(', '));
  pair(dl, 'Region', [c.region, c.city].filter(Boolean).join(', '));
  pair(dl, 'Sessions', word('formats', c.format));
  pair(dl, 'Age group', [].concat(c.ageGroup).map((a) => word('ageGroups', a)).join(', '));
  pair(dl, 'Payment', c.insurance ? `Insurance: ${c.insurance}` : c.maxFee != null ? `Self-pay up to ${c.maxFee}` : 'Self-pay, no maximum');
  if (c.availability?.length) pair(dl, 'Times', c.availability.map((a) => word('availability', a)).join(', '));
  if (request.culture && request.culture.importance !== 'none') {
    pair(dl, 'Cultural background', `${request.culture.backgrounds.join(', ')} (${word('importance', request.culture.importance).toLowerCase()})`);
  }
  return dl;
}

/**
 * Renders a shortlist: a fresh match (MatchResponse) or a stored one (ShortlistResponse, which
 * also carries the request, the caller and the choice).
 */
export function renderShortlist(container, shortlist, { constraintOrder, onChoose, onPrint }) {
  const stored = 'caller' in shortlist;
  const chosenId = shortlist.chosenTherapistId ?? null;
  const meta = el('dl', { class: 'meta' });
  pair(meta, 'Match id', el('code', { id: 'shown-match-id', text: shortlist.matchId }));
  pair(meta, 'Client', el('code', { text: shortlist.clientId }));
  pair(meta, 'Created', when(shortlist.createdAt));
  pair(meta, 'Ranked by model', el('code', { id: 'model-version', text: shortlist.modelVersion }));
  if (stored) pair(meta, 'Requested by', shortlist.caller);
  if (stored) {
    const chosen = shortlist.therapists.find((t) => t.therapistId === chosenId);
    pair(meta, 'Client\'s choice', el('span', { id: 'chosen-summary', text: chosenId ? `${chosen?.displayName ?? chosenId} (${chosenId})` : 'Not recorded yet' }));
  }

  const print = el('button', { type: 'button', class: 'secondary no-print', id: 'print', text: 'Print for the client\'s file' });
  print.addEventListener('click', onPrint);

  const list = el('ol', { class: 'therapists', id: 'therapists' });
  for (const t of shortlist.therapists) list.append(therapistCard(t, { chosenId, canChoose: !chosenId, onChoose }));

  container.replaceChildren(
    el('p', { class: 'lead', text: stored ? 'Stored shortlist' : 'New shortlist, stored under the match id below.' }),
    meta,
    el('div', { class: 'toolbar no-print' }, print),
    ...(stored && shortlist.request ? [el('h3', { text: 'What was asked' }), requestSummary(shortlist.request)] : []),
    exclusionChart(shortlist, constraintOrder),
    shortlist.therapists.length
      ? list
      : el('p', { class: 'empty', text: 'No therapist met every must-have. The chart above shows which one to relax.' }),
    el('p', { class: 'print-only footnote', text: 'Fit is 0 to 1 for each pillar of the working alliance; the mark is neutral (0.5).' }));
}
