# Allocation-heavy, deterministic perl workload for the preload test: big
# hashes and arrays, sorts, joins, regexes and splits, with an MD5 digest
# (Digest::MD5, a core module) of everything printed. Hash iteration order
# is never printed unsorted. Debian's perl uses the system malloc.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);

my $ctx = Digest::MD5->new;
sub out { my $line = join('', @_) . "\n"; $ctx->add($line); print $line; }

# A small deterministic generator (LCG), independent of perl's rand().
my $seed = 12345;
sub rnd { $seed = ($seed * 1103515245 + 12345) % 2147483648; return int($seed / 65536) % $_[0]; }
sub word { my $n = 1 + rnd(14); join '', map { chr(97 + rnd(26)) } 1 .. $n }

my @words = map { word() } 1 .. 150_000;
out("words: ", scalar @words);

my %count;
$count{$_}++ for @words;
out("distinct: ", scalar keys %count);
my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 4];
out("most common: ", join(' ', map { "$_=$count{$_}" } @top));

my %by_prefix;
push @{ $by_prefix{ substr($_, 0, 2) } }, $_ for @words;
out("prefixes: ", scalar keys %by_prefix);
my $biggest = (sort { @{ $by_prefix{$b} } <=> @{ $by_prefix{$a} } || $a cmp $b } keys %by_prefix)[0];
out("biggest prefix: $biggest with ", scalar @{ $by_prefix{$biggest} });
delete @by_prefix{ grep { /^[aeiou]/ } keys %by_prefix };
out("prefixes left: ", scalar keys %by_prefix);

my @sorted = sort { length($a) <=> length($b) || $a cmp $b } @words;
out("shortest: @sorted[0..4]");
out("longest: @sorted[-2,-1]");
my @rev = reverse sort @words;
out("last sorted: $rev[0]");

my $text = join("\n", map { "$_:$words[$_]:" . reverse($words[$_]) } 0 .. $#words);
out("text bytes: ", length $text);
my @vowelly = ($text =~ /^(\d+):([aeiou]{3,}\w*):/mg);
out("vowelly matches: ", scalar @vowelly);
(my $copy = $text) =~ s/([aeiou])/\U$1/g;
out("uppercased vowels: ", ($copy =~ tr/AEIOU//));
my @fields = map { [ split /:/ ] } split /\n/, $text;
out("palindromes: ", scalar grep { length($_->[1]) > 2 && $_->[1] eq $_->[2] } @fields);

# Churn: many short-lived strings and arrays of mixed sizes.
my $total = 0;
for my $round (1 .. 30) {
  my @tmp = map { 'x' x rnd(4000) } 1 .. 1500;
  @tmp = map { substr($_, 0, length($_) / 2) } grep { length($_) % 7 } @tmp;
  $total += length($_) for @tmp;
}
out("churn bytes: $total");

out("md5 of text: ", md5_hex($text));
print "digest: ", $ctx->hexdigest, "\n";
