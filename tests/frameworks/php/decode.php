<?php
// Decodes PHP session strings with PHP itself, for tests/frameworks/record.mjs.
// argv[1]: the serialize handler (php or php_serialize); stdin: a JSON array of base64
// strings; stdout: a JSON array of the values in the neutral form of tests/frameworks/README.md
// (objects become {"$class": name, "$value": {property: value}}). Only ever given values this
// project's own apps just wrote.
declare(strict_types=1);

function neutral(mixed $value): mixed
{
    if (is_object($value)) {
        return ['$class' => get_class($value), '$value' => (object) array_map('neutral', get_object_vars($value))];
    }
    if (is_array($value)) {
        $items = array_map('neutral', $value);
        return array_is_list($value) ? $items : (object) $items;
    }
    if (is_string($value) && preg_match('//u', $value) !== 1) {
        return ['$class' => 'bytes', '$value' => base64_encode($value)];
    }
    return $value;
}

// session_decode() needs an active session: one whose storage is this script's memory.
final class NoStorage implements SessionHandlerInterface
{
    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { return true; }
    public function read(string $id): string { return ''; }
    public function write(string $id, string $data): bool { return true; }
    public function destroy(string $id): bool { return true; }
    public function gc(int $max): int { return 0; }
}

$handler = $argv[1] ?? 'php';
$out = [];
foreach (json_decode((string) stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR) as $encoded) {
    $data = base64_decode($encoded, true);
    if ($handler === 'php_serialize') {
        $value = $data === '' ? [] : unserialize($data, ['allowed_classes' => ['stdClass']]);
    } else {
        if (session_status() !== PHP_SESSION_ACTIVE) {
            ini_set('session.serialize_handler', 'php');
            ini_set('session.use_cookies', '0');
            session_set_save_handler(new NoStorage(), false);
            session_id('decoder');
            session_start();
        }
        $_SESSION = [];
        if (!session_decode($data)) {
            fwrite(STDERR, "decode.php: session_decode failed\n");
            exit(1);
        }
        $value = $_SESSION;
    }
    $out[] = (object) array_map('neutral', (array) $value);
}
echo json_encode($out, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR), "\n";
