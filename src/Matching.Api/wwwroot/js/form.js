// The new-match form: built from the API's vocabularies, read into a POST /v1/matches body, and
// the API's field errors shown next to the fields they name. Nothing here clears what was typed.
import { word, styleAxes } from './words.js';
import { el } from './dom.js';

const $ = (id) => document.getElementById(id);

function options(select, vocabulary, values, placeholder) {
  select.replaceChildren();
  if (placeholder) select.append(el('option', { value: '', text: placeholder }));
  for (const v of values) select.append(el('option', { value: v, text: word(vocabulary, v) }));
}

function checks(container, name, vocabulary, values, type = 'checkbox') {
  container.replaceChildren();
  for (const v of values) {
    const id = `${name}-${v}`;
    container.append(el('div', { class: 'check' },
      el('input', { type, id, name, value: v }),
      el('label', { for: id, text: word(vocabulary, v) })));
  }
}

const ordinal = (i) => ['1st', '2nd', '3rd'][i] ?? `${i + 1}th`;

/** Builds the form's choices from GET /v1/vocabularies. */
export function buildForm(vocab) {
  const goals = $('goal-selects');
  goals.replaceChildren();
  for (let i = 0; i < vocab.limits.maxGoals; i++) {
    const id = `goal-${i}`;
    const select = el('select', { id, 'data-path': `goals[${i}]`, 'aria-describedby': `${id}-error` });
    options(select, 'goals', vocab.goals, i === 0 ? 'Choose the main goal' : 'None');
    goals.append(el('div', { class: 'field' },
      el('label', { for: id, text: i === 0 ? '1st goal (most important)' : `${ordinal(i)} goal` }),
      select,
      el('p', { class: 'field-error', id: `${id}-error`, hidden: true })));
  }

  const modalities = $('modality-selects');
  modalities.replaceChildren();
  $('max-modalities').textContent = vocab.limits.maxModalities;
  for (const m of vocab.modalities) {
    const id = `modality-${m}`;
    const select = el('select', { id, 'data-modality': m });
    options(select, 'preferenceStrengths', vocab.preferenceStrengths, 'No preference');
    modalities.append(el('div', { class: 'field' }, el('label', { for: id, text: word('modalities', m) }), select));
  }

  const sliders = $('style-sliders');
  sliders.replaceChildren();
  for (const axis of styleAxes) {
    const id = `style-${axis.key}`;
    const range = el('input', {
      type: 'range', id, min: 0, max: 1, step: 0.1, value: 0.5, disabled: true, list: 'style-neutral',
      'data-path': `style.${axis.key}`, 'aria-describedby': `${id}-scale ${id}-error`, 'aria-valuetext': 'neutral',
    });
    const set = el('input', { type: 'checkbox', id: `${id}-set`, 'aria-controls': id });
    const output = el('output', { id: `${id}-value`, for: id, text: 'No preference' });
    const show = () => {
      range.disabled = !set.checked;
      const v = Number(range.value);
      const text = v === 0.5 ? 'neutral' : `${v.toFixed(1)}, towards "${v < 0.5 ? axis.low : axis.high}"`;
      range.setAttribute('aria-valuetext', text);
      output.textContent = set.checked ? text : 'No preference';
    };
    set.addEventListener('change', show);
    range.addEventListener('input', show);
    sliders.append(el('div', { class: 'slider' },
      el('div', { class: 'check' }, set, el('label', { for: set.id, text: `${axis.name}: the client has a preference` })),
      el('label', { for: id, class: 'slider-label', text: `${axis.name} (0 ${axis.low.toLowerCase()}, 1 ${axis.high.toLowerCase()})` }),
      el('div', { class: 'range-wrap' }, range),
      el('div', { class: 'scale', id: `${id}-scale` },
        el('span', { text: axis.low }), el('span', { class: 'neutral-label', text: 'neutral' }), el('span', { text: axis.high })),
      output,
      el('p', { class: 'field-error', id: `${id}-error`, hidden: true })));
  }

  if (!$('style-neutral')) {
    sliders.after(el('datalist', { id: 'style-neutral' }, el('option', { value: 0.5, label: 'neutral' })));
  }

  for (const select of document.querySelectorAll('select[data-importance]')) {
    options(select, 'importance', vocab.importance);
    select.value = 'none';
  }

  checks($('gender-boxes'), 'gender', 'genders', vocab.genders);
  checks($('format-radios'), 'format', 'formats', vocab.formats, 'radio');
  $('format-either').checked = true;
  options($('age-group'), 'ageGroups', vocab.ageGroups, 'Choose');
  checks($('availability-boxes'), 'availability', 'availability', vocab.availability);
  $('limit').max = vocab.limits.maxLimit;
  $('limit').value = vocab.limits.defaultLimit;
}

const text = (id) => $(id).value.trim() || null;
const list = (id) => $(id).value.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
const checked = (name) => [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
const number = (id) => ($(id).value === '' ? null : Number($(id).value));

/**
 * The request body, and for the lists whose items the page spreads over several controls, which
 * control each sent item came from (so "goals[1]" or "modalities[0].strength" finds its field).
 */
export function readRequest() {
  const goalSelects = [...document.querySelectorAll('#goal-selects select')].filter((s) => s.value);
  const modalitySelects = [...document.querySelectorAll('#modality-selects select')].filter((s) => s.value);
  const body = {
    clientId: text('client-id'),
    goals: goalSelects.map((s) => s.value),
    modalities: modalitySelects.map((s) => ({ modality: s.dataset.modality, strength: s.value })),
    languages: list('languages'),
    constraints: {
      region: text('region'),
      format: checked('format')[0] ?? 'either',
      city: text('city'),
      insurance: text('insurance'),
      maxFee: number('max-fee'),
      ageGroup: $('age-group').value || null,
    },
  };
  const availability = checked('availability');
  if (availability.length) body.constraints.availability = availability;
  const limit = number('limit');
  if (limit !== null) body.limit = limit;

  const style = {};
  for (const axis of styleAxes) {
    if ($(`style-${axis.key}-set`).checked) style[axis.key] = Number($(`style-${axis.key}`).value);
  }
  if (Object.keys(style).length) body.style = style;

  // "Not used" sends nothing at all, so the preference cannot affect the ranking.
  const importance = (id) => $(id).value;
  if (importance('culture-importance') !== 'none') {
    body.culture = { backgrounds: list('culture-backgrounds'), importance: importance('culture-importance') };
  }
  if (importance('gender-importance') !== 'none') {
    body.gender = { genders: checked('gender'), importance: importance('gender-importance') };
  }
  if (importance('faith-importance') !== 'none') {
    body.faith = { faith: text('faith-faith'), importance: importance('faith-importance') };
  }
  if (importance('identity-importance') !== 'none') {
    body.identity = { identities: list('identity-identities'), importance: importance('identity-importance') };
  }

  return { body, sentFrom: { goals: goalSelects, modalities: modalitySelects } };
}

// The control a field path names: "goals[1]" through the controls the items were sent from,
// otherwise the nearest path the page has a control for ("culture.backgrounds[0]" -> "culture.backgrounds").
function fieldFor(form, path, sentFrom) {
  const indexed = /^(goals|modalities)\[(\d+)\]/.exec(path);
  if (indexed && sentFrom?.[indexed[1]]?.[Number(indexed[2])]) return sentFrom[indexed[1]][Number(indexed[2])];
  let p = path;
  while (p) {
    const found = form.querySelector(`[data-path="${CSS.escape(p)}"]`);
    if (found) return found;
    const shorter = p.replace(/(\[\d+\]|\.[^.[\]]+)$/, '');
    if (shorter === p) break;
    p = shorter;
  }
  return null;
}

function errorSlot(field) {
  for (let node = field; node; node = node.parentElement?.closest('[data-path], [id]')) {
    const slot = node.id && document.getElementById(`${node.id}-error`);
    if (slot) return slot;
    if (node.tagName === 'FORM') break;
  }
  return null;
}

/** Removes every field error in the form. */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error')) { slot.textContent = ''; slot.hidden = true; }
  for (const bad of form.querySelectorAll('[aria-invalid]')) bad.removeAttribute('aria-invalid');
}

/** Shows one message next to a field. */
export function showFieldError(field, message) {
  const slot = errorSlot(field);
  if (!slot) return false;
  slot.hidden = false;
  slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
  field.setAttribute('aria-invalid', 'true');
  return true;
}

/**
 * Shows a ValidationProblem's errors next to their fields; returns the messages no field on the
 * page could take, and moves focus to the first field at fault so a keyboard user lands on it.
 */
export function showErrors(form, errors, sentFrom) {
  const unplaced = [];
  let first = null;
  for (const [path, messages] of Object.entries(errors ?? {})) {
    const field = fieldFor(form, path, sentFrom);
    const message = messages.join(' ');
    if (field && showFieldError(field, message)) {
      if (!first || (field.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING)) first = field;
    } else {
      unplaced.push(`${path}: ${message}`);
    }
  }
  const focusable = first?.matches('fieldset') ? first.querySelector('input, select') : first;
  focusable?.focus();
  return unplaced;
}
