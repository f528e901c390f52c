// The words intake staff use for the API's closed vocabularies. The values themselves come from
// GET /v1/vocabularies; a value this file does not know yet is still offered, spelled out from its name.

const words = {
  goals: {
    anxiety: 'Anxiety', panic: 'Panic attacks', depression: 'Low mood, depression', trauma: 'Trauma, PTSD',
    grief: 'Grief and loss', relationships: 'Relationships, couples', selfEsteem: 'Self-esteem', workStress: 'Work stress, burnout',
    ocd: 'Obsessions, compulsions (OCD)', eating: 'Eating difficulties', substanceUse: 'Alcohol, substance use', anger: 'Anger',
    sleep: 'Sleep problems', parenting: 'Parenting, family life', identity: 'Identity, sexuality, gender', lifeTransitions: 'Life changes',
  },
  modalities: {
    cbt: 'CBT (cognitive behavioural)', dbt: 'DBT (dialectical behaviour)', act: 'ACT (acceptance and commitment)',
    emdr: 'EMDR', psychodynamic: 'Psychodynamic', personCentred: 'Person-centred', schema: 'Schema therapy',
    familySystemic: 'Family, systemic', interpersonal: 'Interpersonal (IPT)', mindfulnessBased: 'Mindfulness-based',
    solutionFocused: 'Solution-focused', compassionFocused: 'Compassion-focused', narrative: 'Narrative',
  },
  preferenceStrengths: { slight: 'Would like it', moderate: 'Prefers it', strong: 'Strongly prefers it' },
  formats: { either: 'In person or video', inPerson: 'In person only', video: 'Video only' },
  ageGroups: { children: 'Child (under 13)', adolescents: 'Adolescent (13-17)', adults: 'Adult (18-64)', olderAdults: 'Older adult (65+)' },
  availability: { weekdayDaytime: 'Weekday daytime', weekdayEvening: 'Weekday evenings', weekend: 'Weekends' },
  importance: { none: 'Not used', low: 'Nice to have', medium: 'Matters', high: 'Matters a lot' },
  genders: { woman: 'Woman', man: 'Man', nonBinary: 'Non-binary' },
  constraints: {
    accepting: 'Not taking new clients this week', region: 'Not licensed in the region', format: 'No video, or no office in the city',
    language: 'No shared language', ageGroup: 'Does not see this age group', insurance: 'Does not take the insurance',
    fee: 'Fee above the maximum', availability: 'No appointments at those times',
  },
};

/** The staff word for a value of a vocabulary, or the value spelled out. */
export function word(vocabulary, value) {
  const known = words[vocabulary]?.[value];
  if (known) return known;
  const spaced = String(value).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** Pillars of the working alliance, as the shortlist shows them. */
export const pillars = [
  { key: 'goals', name: 'Goals', about: 'agreement on what to work on' },
  { key: 'tasks', name: 'Tasks', about: 'how therapy works: approach and structure' },
  { key: 'bond', name: 'Bond', about: 'the relationship: style, language, background' },
];

/** A fit (0-1, 0.5 neutral) in words. */
export function fitWords(value) {
  if (value >= 0.55) return 'better than neutral';
  if (value <= 0.45) return 'weaker than neutral';
  return 'about neutral';
}

/** Communication style axes with the words at each end. */
export const styleAxes = [
  { key: 'directiveness', name: 'Who leads', low: 'Follows the client\'s lead', high: 'Leads actively' },
  { key: 'structure', name: 'Structure', low: 'Open, exploratory', high: 'Structured, agenda-led' },
  { key: 'challenge', name: 'Challenge', low: 'Gentle, supportive', high: 'Challenging, direct' },
];
