import LedgerCrypto
import LedgerTransparency
import Testing

/// A tree kept in memory the way the store keeps it: every stored hash at its position.
final class MemoryTree: SubtreeHashReader {
    var frontier = MerkleFrontier()
    var stored: [Int64: Hash256] = [:]
    var reads = 0

    func append(_ leaf: Hash256) throws {
        for (position, hash) in try frontier.append(leaf: leaf) {
            #expect(stored[position] == nil, "position \(position) written twice")
            stored[position] = hash
        }
    }

    func subtreeHash(level: Int, index: Int64) throws -> Hash256 {
        reads += 1
        guard let hash = stored[StoredHashIndex.position(level: level, index: index)] else {
            throw MerkleError.outOfRange("no stored hash at level \(level) index \(index)")
        }
        return hash
    }
}

@Suite("RFC 6962 trees and proofs")
struct MerkleTests {
    /// The inputs of the Certificate Transparency reference tests (merkle_tree_test.cc).
    static let inputs: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                    "606162636465666768696a6b6c6d6e6f"].map { Hex.decode($0)! }
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    static func referenceTree() throws -> MemoryTree {
        let tree = MemoryTree()
        for input in inputs { try tree.append(MerkleHash.leaf(data: input)) }
        return tree
    }

    static func hashes(_ hex: [String]) -> [Hash256] { hex.map { Hash256(hex: $0)! } }

    @Test("roots match the Certificate Transparency vectors at every size, incrementally and from storage")
    func roots() throws {
        let tree = MemoryTree()
        #expect(try tree.frontier.root() == MerkleHash.empty)
        #expect(try MerkleProver(tree).root(size: 0).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for (index, input) in Self.inputs.enumerated() {
            try tree.append(MerkleHash.leaf(data: input))
            #expect(try tree.frontier.root().hex == Self.roots[index])
        }
        for size in 1...8 { #expect(try MerkleProver(tree).root(size: Int64(size)).hex == Self.roots[size - 1]) }
    }

    @Test("inclusion proofs match the reference vectors")
    func inclusionVectors() throws {
        let prover = MerkleProver(try Self.referenceTree())
        #expect(try prover.inclusionProof(index: 0, size: 8) == Self.hashes([
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]))
        #expect(try prover.inclusionProof(index: 5, size: 8) == Self.hashes([
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]))
        #expect(try prover.inclusionProof(index: 2, size: 3) == Self.hashes(["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]))
        #expect(try prover.inclusionProof(index: 1, size: 5) == Self.hashes([
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]))
        #expect(try prover.inclusionProof(index: 0, size: 1).isEmpty)
    }

    @Test("consistency proofs match the reference vectors")
    func consistencyVectors() throws {
        let prover = MerkleProver(try Self.referenceTree())
        #expect(try prover.consistencyProof(old: 1, new: 1).isEmpty)
        #expect(try prover.consistencyProof(old: 1, new: 8) == Self.hashes([
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]))
        #expect(try prover.consistencyProof(old: 6, new: 8) == Self.hashes([
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]))
        #expect(try prover.consistencyProof(old: 2, new: 5) == Self.hashes([
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]))
    }

    @Test("every proof of every size up to 70 verifies, and fails when a hash, the index or a size is wrong")
    func allProofs() throws {
        let tree = MemoryTree()
        var roots: [Hash256] = [MerkleHash.empty]
        for n in 0..<70 {
            try tree.append(MerkleHash.leaf(data: Array("entry-\(n)".utf8)))
            roots.append(try tree.frontier.root())
        }
        let prover = MerkleProver(tree)
        let bad = try MerkleHash.leaf(data: [0xff])
        for size in Int64(1)...70 {
            #expect(try prover.root(size: size) == roots[Int(size)])
            for index in 0..<size {
                let leaf = try MerkleHash.leaf(data: Array("entry-\(index)".utf8))
                let proof = try prover.inclusionProof(index: index, size: size)
                #expect(try MerkleVerifier.verifyInclusion(leaf: leaf, index: index, size: size, proof: proof, root: roots[Int(size)]))
                #expect(try !MerkleVerifier.verifyInclusion(leaf: bad, index: index, size: size, proof: proof, root: roots[Int(size)]))
                if size > 1 {
                    #expect(try !MerkleVerifier.verifyInclusion(leaf: leaf, index: (index + 1) % size, size: size, proof: proof, root: roots[Int(size)]))
                    var tampered = proof
                    tampered[tampered.count / 2] = bad
                    #expect(try !MerkleVerifier.verifyInclusion(leaf: leaf, index: index, size: size, proof: tampered, root: roots[Int(size)]))
                }
            }
            for old in Int64(0)...size {
                let proof = try prover.consistencyProof(old: old, new: size)
                #expect(try MerkleVerifier.verifyConsistency(old: old, new: size, oldRoot: roots[Int(old)], newRoot: roots[Int(size)], proof: proof))
                if old > 0, old < size {
                    #expect(try !MerkleVerifier.verifyConsistency(old: old, new: size, oldRoot: bad, newRoot: roots[Int(size)], proof: proof))
                    #expect(try !MerkleVerifier.verifyConsistency(old: old, new: size, oldRoot: roots[Int(old)], newRoot: bad, proof: proof))
                }
            }
        }
    }

    @Test("stored hashes get consecutive positions in the order appends create them")
    func positions() throws {
        var frontier = MerkleFrontier()
        var next: Int64 = 0
        for n in 0..<300 {
            let created = try frontier.append(leaf: MerkleHash.leaf(data: [UInt8(n & 0xff)]))
            #expect(created.map(\.position) == Array(next..<next + Int64(created.count)))
            next += Int64(created.count)
            #expect(StoredHashIndex.count(size: Int64(n + 1)) == next)
        }
    }

    @Test("a proof in a 1,000,000-leaf tree reads O(log n) stored hashes")
    func logarithmicReads() throws {
        let tree = MemoryTree()
        for n in 0..<(1 << 20) - 3 { try tree.append(MerkleHash.leaf(data: [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16)])) }
        let prover = MerkleProver(tree)
        let size = tree.frontier.size
        tree.reads = 0
        _ = try prover.inclusionProof(index: 12345, size: size)
        #expect(tree.reads <= 2 * 21, "\(tree.reads) reads")
        tree.reads = 0
        _ = try prover.consistencyProof(old: 777_777, new: size)
        #expect(tree.reads <= 2 * 21, "\(tree.reads) reads")
        tree.reads = 0
        #expect(try prover.root(size: size) == tree.frontier.root())
        #expect(tree.reads <= 21)
    }
}
