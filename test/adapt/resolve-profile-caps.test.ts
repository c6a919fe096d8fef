// UaProfile -> the limits it gives (src/adapt/profile-caps.ts) and User-Agent classes (src/adapt/user-agent.ts).
import t from 'tap';
import type { UaProfile } from '../../protocols/uaprof/model.js';
import { profileLimits } from '../../src/adapt/profile-caps.js';
import { UserAgentClasses } from '../../src/adapt/user-agent.js';

const p = (x: Partial<UaProfile>): UaProfile => ({ mmsCcppAccept: [], mmsCcppAcceptCharSet: [], mmsVersion: [], hasMms: true, ...x });

t.test('every field a profile gives', async (t) => {
  t.strictSame(
    profileLimits(
      p({
        mmsMaxMessageSize: 307_200,
        mmsMaxImageResolution: { width: 640, height: 480 },
        screenSize: { width: 240, height: 320 },
        mmsCcppAccept: ['IMAGE/JPEG', ' image/gif ', 'audio/amr; q=0.8', 'application/vnd.wap.mms-message', 'not a type', 'text/plain'],
        mmsCcppAcceptCharSet: ['UTF-8', ' ISO-8859-1 ', ''],
        mmsVersion: ['1.0', ' 1.1'],
      }),
    ),
    {
      maxMessageBytes: 307_200,
      maxImageWidth: 640,
      maxImageHeight: 480,
      contentTypes: ['image/jpeg', 'image/gif', 'audio/amr', 'application/vnd.wap.mms-message', 'text/plain', 'application/smil'],
      charsets: ['utf-8', 'iso-8859-1'],
      mmsVersions: ['1.0', '1.1'],
    },
    'MmsMaxImageResolution before ScreenSize; types lower case without parameters, text and SMIL added',
  );
});

t.test('values that say nothing are left to the next source', async (t) => {
  t.strictSame(profileLimits(p({ mmsMaxMessageSize: 0, mmsMaxImageResolution: { width: 0, height: 0 } })), {}, 'zeros');
  t.strictSame(profileLimits(p({ mmsMaxMessageSize: -5, screenSize: { width: 1.5, height: 2 } })), {}, 'negative, fractional');
  t.strictSame(
    profileLimits(p({ mmsMaxImageResolution: { width: 0, height: 0 }, screenSize: { width: 176, height: 208 } })),
    { maxImageWidth: 176, maxImageHeight: 208 },
    'an unusable resolution: the screen size',
  );
  t.strictSame(profileLimits(p({ mmsCcppAccept: ['*/*', 'image/jpeg'] })), {}, '*/* takes everything: the default types decide');
  t.strictSame(profileLimits(p({ mmsCcppAccept: ['garbage'] })), {}, 'no usable type');
});

t.test('a profile without MMS: text-only and nothing else', async (t) => {
  t.strictSame(profileLimits(p({ hasMms: false, screenSize: { width: 240, height: 320 } })), { textOnly: true });
});

t.test('User-Agent classes: the first match, case-insensitive, on at most 512 characters', async (t) => {
  const classes = new UserAgentClasses([
    { name: 'feature', match: '^Nokia[0-9]{4}/', maxMessageBytes: 102_400 },
    { name: 'smart', match: 'android|iphone', maxMessageBytes: 1_048_576, maxImageWidth: 1600, contentTypes: ['IMAGE/*'] },
    { name: 'late', match: 'tail-marker', maxMessageBytes: 2048 },
  ]);
  t.equal(classes.match('Nokia6230/2.0')?.name, 'feature');
  t.equal(classes.match('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)')?.name, 'smart', 'case-insensitive');
  t.equal(classes.match('nokia6230/2.0')?.name, 'feature');
  t.equal(classes.match('Opera Mini'), undefined);
  t.equal(classes.match(undefined), undefined);
  t.equal(classes.match(`${'x'.repeat(600)}tail-marker`), undefined, 'past 512 characters: not seen');
  t.strictSame(classes.limits('Android 14'), { name: 'smart', maxMessageBytes: 1_048_576, maxImageWidth: 1600, contentTypes: ['image/*'] });
  t.strictSame(classes.limits('Nokia3310/1.0'), { name: 'feature', maxMessageBytes: 102_400 });
});
