<?php
// Records session values with PHP's own session module for tst_codecs_php. Run from this folder:
//   php gen.php
// It writes one session per serialize_handler through the `files` save handler (the bytes are
// exactly what phpredis or aws-sdk-php would store) and a few plain serialize() values.
error_reporting(E_ALL & ~E_DEPRECATED);

enum Suit: string
{
    case Hearts = 'H';
    case Spades = 'S';
}

enum Status
{
    case Active;
}

class Base
{
    private $secretBase = 'base-private';
    protected $prot = 'protected-value';
    public $pub = 1;
}

class User extends Base
{
    public $name = 'Zoë';
    private $password = 'hunter2';
    protected $roles = ['ROLE_USER', 'ROLE_ADMIN'];
    public $manager = null;
}

// Serializable without __serialize(): written in the `C:` format.
class Legacy implements Serializable
{
    public $data = ['a' => 1, 'b' => [true, null]];
    public function serialize() { return serialize($this->data); }
    public function unserialize($data) { $this->data = unserialize($data); }
}

class RawPayload implements Serializable
{
    public function serialize() { return 'raw|payload;{}'; }
    public function unserialize($data) {}
}

function fill()
{
    $_SESSION['user_id'] = 42;
    $_SESSION['login'] = 'alice';
    $_SESSION['utf8'] = 'Zoë ✓ 日本 😀';
    $_SESSION['binary'] = "\x00\xff\xfe\x01|;\"}";
    $_SESSION['negative'] = -9223372036854775807 - 1;
    $_SESSION['ratio'] = 0.1;
    $_SESSION['big'] = 1.0E+25;
    $_SESSION['inf'] = INF;
    $_SESSION['ninf'] = -INF;
    $_SESSION['nan'] = NAN;
    $_SESSION['flag'] = true;
    $_SESSION['off'] = false;
    $_SESSION['nothing'] = null;
    $_SESSION['list'] = [1, 2, 3];
    $_SESSION['map'] = ['a' => 1, 5 => 'five', 'nested' => ['x' => ['y' => 'z']]];
    $_SESSION['empty'] = [];
    $user = new User();
    $_SESSION['user'] = $user;
    $_SESSION['same_user'] = $user; // r: (the same object again)
    $_SESSION['counter'] = 5;
    $_SESSION['counter_ref'] = &$_SESSION['counter']; // R: (a PHP reference)
    $cycle = new stdClass();
    $cycle->name = 'loop';
    $cycle->self = $cycle; // r: pointing at its own container
    $_SESSION['cycle'] = $cycle;
    $_SESSION['suit'] = Suit::Hearts;
    $_SESSION['status'] = Status::Active;
    $_SESSION['legacy'] = new Legacy();
    $_SESSION['raw'] = new RawPayload();
    $_SESSION['csrf_token'] = 'tok-123456';
    $_SESSION['key with spaces'] = 'ok';
}

foreach (['php', 'php_serialize', 'php_binary'] as $handler) {
    $dir = sys_get_temp_dir() . '/sessiondesk-php-' . getmypid() . '-' . $handler;
    @mkdir($dir);
    ini_set('session.save_handler', 'files');
    ini_set('session.save_path', $dir);
    ini_set('session.use_cookies', '0');
    ini_set('session.use_strict_mode', '0');
    ini_set('session.serialize_handler', $handler);
    session_id('recorded' . str_replace('_', '', $handler));
    session_start();
    fill();
    session_write_close();
    $file = $dir . '/sess_' . session_id();
    file_put_contents("session-$handler.bin", file_get_contents($file));
    unlink($file);
    rmdir($dir);
    $_SESSION = [];
}

// Laravel's cache keeps serialize() of the session payload, itself serialize()d attributes.
$laravel = [
    '_token' => 'JkU8oZ4pN2xgx3lSJYVb4lO0ia8FvOkz9xX9xH2C',
    '_previous' => ['url' => 'http://127.0.0.1/home'],
    '_flash' => ['old' => [], 'new' => []],
    'login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d' => 7,
];
file_put_contents('laravel-cache.bin', serialize(serialize($laravel)));
file_put_contents('laravel-json.bin', serialize(json_encode($laravel)));
file_put_contents('serialize-scalar.bin', serialize('plain string'));
file_put_contents('version.txt', PHP_VERSION . "\n");
