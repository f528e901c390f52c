// Wires the intake page together: sign in and out, a new match, a stored shortlist, a choice.
import { call, describe, session } from './api.js';
import { buildForm, readRequest, clearErrors, showErrors, showFieldError } from './form.js';
import { renderShortlist } from './shortlist.js';

const $ = (id) => document.getElementById(id);
let vocab = null;
let built = false;

function say(box, message, { info = false } = {}) {
  box.textContent = message ?? '';
  box.hidden = !message;
  box.classList.toggle('info', info);
}

function showSignedIn(signedIn) {
  $('sign-in').hidden = signedIn;
  $('workspace').hidden = !signedIn;
  $('session').hidden = !signedIn;
}

async function enter(key, { focus }) {
  const answer = await call('GET', '/v1/vocabularies', undefined, key);
  if (!answer.ok) {
    session.signOut();
    showSignedIn(false);
    if (answer.status === 401) {
      showFieldError($('api-key'), 'This key was not recognised. Check it and try again.');
      $('api-key').focus();
    } else {
      say($('message'), describe(answer));
    }
    return;
  }

  session.signIn(key);
  vocab = answer.data;
  if (!built) {
    buildForm(vocab);
    built = true;
  }
  $('api-key').value = '';
  say($('message'), null);
  showSignedIn(true);
  if (focus) $('new-match-title').focus();
}

function signOut() {
  session.signOut();
  vocab = null;
  built = false;
  for (const form of document.querySelectorAll('form')) {
    form.reset();
    clearErrors(form);
  }
  say($('form-error'), null);
  $('result').hidden = true;
  $('result-body').replaceChildren();
  showSignedIn(false);
  say($('message'), 'Signed out. The key and everything shown were cleared from this tab.', { info: true });
  $('api-key').focus();
}

function show(shortlist) {
  say($('result-error'), null);
  renderShortlist($('result-body'), shortlist, { constraintOrder: vocab.constraints, onChoose: choose, onPrint: () => window.print() });
  $('result').hidden = false;
  $('result-title').focus();
}

async function openStored(matchId) {
  const answer = await call('GET', `/v1/matches/${encodeURIComponent(matchId)}`);
  if (answer.ok) {
    show(answer.data);
    return true;
  }
  if (answer.status === 404) {
    showFieldError($('match-id'), 'No stored shortlist has this match id.');
    $('match-id').focus();
  } else {
    say($('message'), describe(answer));
    $('message').scrollIntoView({ block: 'nearest' });
  }
  return false;
}

async function choose(therapist, button) {
  button.disabled = true;
  const matchId = $('shown-match-id').textContent;
  const answer = await call('POST', `/v1/matches/${encodeURIComponent(matchId)}/choice`, { therapistId: therapist.therapistId });
  if (!answer.ok) {
    button.disabled = false;
    const fieldErrors = answer.status === 400 ? Object.values(answer.problem.errors ?? {}).flat().join(' ') : '';
    say($('result-error'), fieldErrors || describe(answer));
    return;
  }
  clearErrors($('open-form'));
  if (await openStored(matchId)) {
    $('result-status').textContent = `Recorded: the client chose ${therapist.displayName ?? therapist.therapistId}.`;
  }
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors(event.currentTarget);
  const key = $('api-key').value.trim();
  if (!key) {
    showFieldError($('api-key'), 'Enter your intake API key.');
    $('api-key').focus();
    return;
  }
  await enter(key, { focus: true });
});

$('sign-out').addEventListener('click', signOut);

$('open-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  say($('message'), null);
  const id = $('match-id').value.trim();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    showFieldError($('match-id'), 'A match id looks like 3f2c8a1e-5b7d-4c9e-8f00-1a2b3c4d5e6f.');
    $('match-id').focus();
    return;
  }
  $('result-status').textContent = '';
  await openStored(id);
});

$('match-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const button = $('find');
  clearErrors(form);
  say($('form-error'), null);
  say($('message'), null);
  const { body, sentFrom } = readRequest();
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    const answer = await call('POST', '/v1/matches', body);
    if (answer.ok) {
      $('result-status').textContent = '';
      show(answer.data);
      return;
    }
    if (answer.status === 400 && answer.problem.errors) {
      const unplaced = showErrors(form, answer.problem.errors, sentFrom);
      const count = Object.keys(answer.problem.errors).length;
      say($('form-error'), [`The service could not use ${count === 1 ? 'one field' : `${count} fields`}; see the message next to it.`, ...unplaced].join(' '));
    } else {
      say($('form-error'), describe(answer));
    }
  } finally {
    button.disabled = false;
    form.removeAttribute('aria-busy');
  }
});

if (session.key) {
  enter(session.key, { focus: false });
} else {
  showSignedIn(false);
}
