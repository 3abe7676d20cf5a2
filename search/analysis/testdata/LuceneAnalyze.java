// Prints the terms Lucene's EnglishAnalyzer (Lucene 8, as Pyserini uses)
// makes of each line of standard input, space-separated, one line per line.
// Run by make_lucene_fixture.py.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

public class LuceneAnalyze {
    public static void main(String[] args) throws Exception {
        EnglishAnalyzer analyzer = new EnglishAnalyzer();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            StringBuilder sb = new StringBuilder();
            try (TokenStream ts = analyzer.tokenStream("contents", line)) {
                CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
                ts.reset();
                while (ts.incrementToken()) {
                    if (sb.length() > 0) {
                        sb.append(' ');
                    }
                    sb.append(term);
                }
                ts.end();
            }
            out.println(sb);
        }
    }
}
